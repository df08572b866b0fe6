import type { PlexNode } from '../node/plex-node.js';
import { HttpGateway, type HttpGatewayOptions } from './http-gateway.js';
import { NodeService } from './node-service.js';
import { WsEndpoint, type WsEndpointOptions } from './ws-endpoint.js';

export interface NodeServerOptions {
  /** HTTP (and websocket at /ws) port; 0 picks a free one. Default 8001. */
  readonly httpPort?: number;
  /** Interface to listen on. Default 127.0.0.1 (loopback: nothing is exposed until you say so). */
  readonly host?: string;
  readonly http?: HttpGatewayOptions;
  readonly ws?: WsEndpointOptions;
}

export const DEFAULT_HTTP_PORT = 8001;

/** A node's network surfaces over one NodeService: the HTTP gateway and the websocket. */
export class NodeServer {
  readonly service: NodeService;
  readonly http: HttpGateway;
  readonly ws: WsEndpoint;
  private httpPort = 0;

  constructor(
    readonly node: PlexNode,
    private readonly options: NodeServerOptions = {},
  ) {
    this.service = new NodeService(node);
    this.http = new HttpGateway(this.service, options.http);
    this.ws = new WsEndpoint(this.service, this.http.server, options.ws);
  }

  /** Starts listening; resolves with the endpoints (ports resolved when 0 was asked). */
  async listen(): Promise<{ http: string; ws: string }> {
    const host = this.options.host ?? '127.0.0.1';
    this.httpPort = await this.http.listen(this.options.httpPort ?? DEFAULT_HTTP_PORT, host);
    const shown = host.includes(':') ? `[${host}]` : host;
    return { http: `http://${shown}:${this.httpPort}`, ws: `ws://${shown}:${this.httpPort}/ws` };
  }

  get port(): number {
    return this.httpPort;
  }

  /** Stops accepting, closes sockets (cancelling their blocking operations), lets in-flight requests finish. */
  async close(): Promise<void> {
    await this.ws.close();
    await this.http.close();
  }
}
