import type { PlexNode } from '../node/plex-node.js';
import { Gatekeeper, type AuthOptions } from './auth.js';
import { GrpcServer } from './grpc-server.js';
import { HttpGateway, type HttpGatewayOptions } from './http-gateway.js';
import { NodeMetrics, type NodeMetricsOptions } from './metrics.js';
import { NodeService } from './node-service.js';
import { WsEndpoint, type WsEndpointOptions } from './ws-endpoint.js';

export interface NodeServerOptions {
  /** HTTP (and websocket at /ws) port; 0 picks a free one. Default 8001. */
  readonly httpPort?: number;
  /** gRPC port; 0 picks a free one. Default 8000. */
  readonly grpcPort?: number;
  /** Interface to listen on. Default 127.0.0.1 (loopback: nothing is exposed until you say so). */
  readonly host?: string;
  /** JWT auth (default off: loopback, one user). */
  readonly auth?: AuthOptions;
  readonly http?: HttpGatewayOptions;
  readonly ws?: WsEndpointOptions;
  readonly metrics?: NodeMetricsOptions;
  /** This node's labels in the platform (its id is PlexNodeOptions.nodeId). */
  readonly labels?: Readonly<Record<string, string>>;
}

export const DEFAULT_HTTP_PORT = 8001;
export const DEFAULT_GRPC_PORT = 8000;

export interface Endpoints {
  readonly grpc: string;
  readonly http: string;
  readonly ws: string;
}

/** A node's network surfaces over one NodeService: gRPC, the HTTP gateway and the websocket. */
export class NodeServer {
  readonly service: NodeService;
  readonly metrics: NodeMetrics;
  readonly http: HttpGateway;
  readonly ws: WsEndpoint;
  readonly grpc: GrpcServer;
  private httpPort = 0;
  private grpcPort = 0;

  constructor(
    readonly node: PlexNode,
    private readonly options: NodeServerOptions = {},
  ) {
    this.metrics = new NodeMetrics(node, () => this.ws.connections, options.metrics);
    this.service = new NodeService(node, new Gatekeeper(options.auth ?? { enabled: false }), this.metrics, { labels: options.labels });
    this.http = new HttpGateway(this.service, options.http);
    this.ws = new WsEndpoint(this.service, this.http.server, options.ws);
    this.grpc = new GrpcServer(this.service);
  }

  /** Starts listening; resolves with the endpoints (ports resolved when 0 was asked). */
  async listen(): Promise<Endpoints> {
    const host = this.options.host ?? '127.0.0.1';
    this.grpcPort = await this.grpc.listen(this.options.grpcPort ?? DEFAULT_GRPC_PORT, host);
    try {
      this.httpPort = await this.http.listen(this.options.httpPort ?? DEFAULT_HTTP_PORT, host);
    } catch (error) {
      await this.grpc.close(0);
      throw error;
    }
    const shown = host.includes(':') ? `[${host}]` : host;
    const endpoints = { grpc: `${shown}:${this.grpcPort}`, http: `http://${shown}:${this.httpPort}`, ws: `ws://${shown}:${this.httpPort}/ws` };
    this.service.membership.setLocal({ ...this.service.membership.self, addresses: endpoints });
    return endpoints;
  }

  get ports(): { grpc: number; http: number } {
    return { grpc: this.grpcPort, http: this.httpPort };
  }

  /** Stops accepting, closes sockets (cancelling their blocking operations), lets in-flight requests finish. */
  async close(): Promise<void> {
    await this.ws.close();
    await Promise.all([this.http.close(), this.grpc.close()]);
    this.metrics.close();
    this.service.dashboard.close();
  }
}
