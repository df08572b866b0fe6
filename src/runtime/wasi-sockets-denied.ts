/**
 * `wasi:sockets` for component actors: present, so that components whose
 * language runtime links the interfaces (CPython built by componentize-py
 * imports all seven) instantiate, but every attempt to open a socket or
 * resolve a name fails with WASI's `access-denied`. Actors talk to the world
 * through the host interface only; preview2-shim's own sockets would give
 * them real TCP and UDP on the node's network.
 *
 * A function returning `result<_, error-code>` reports its error by throwing
 * the error code (jco's glue lowers a thrown non-Error value as the `err`
 * case), so Python sees an ordinary `OSError`, not a trap.
 */

const ACCESS_DENIED = 'access-denied';

function denied(): never {
  throw ACCESS_DENIED;
}

// Resource classes the glue checks values against; no instance of the
// socket classes is ever made, since nothing creates a socket.
class Network {}
class TcpSocket {}
class UdpSocket {}
class IncomingDatagramStream {}
class OutgoingDatagramStream {}
class ResolveAddressStream {}

/** The seven `wasi:sockets` interfaces keyed as jco's glue asks for them. */
export function deniedSocketImports(): Record<string, unknown> {
  return {
    'wasi:sockets/network': { Network },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/ip-name-lookup': { ResolveAddressStream, resolveAddresses: denied },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: denied },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': { createUdpSocket: denied },
  };
}
