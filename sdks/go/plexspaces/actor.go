// Package plexspaces writes PlexSpaces actors in Go. An actor implements
// Actor, embeds BaseActor for automatic JSON state, and registers itself in
// an init function; the package exports the core-module ABI
// (docs/core-abi.md) through //go:wasmexport. Build with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o actor.wasm .
//
// or `plexspaces build DIR`. Go's runtime needs WASI preview 1, which the
// PlexSpaces runtime provides to core modules (docs/polyglot.md).
package plexspaces

import "encoding/json"

// Actor is what a Go actor implements.
//
// Init gets the spawn's config (JSON, possibly empty) and answers "" when
// the actor is ready; any other answer fails the spawn and is logged.
// Handle gets the sender's id ("" for the node's HTTP routes and the
// runtime), the message type and the payload (JSON from the HTTP routes),
// and answers the reply.
type Actor interface {
	Init(configJSON string) string
	Handle(from, msgType, payloadJSON string) string
}

// StatefulActor is an Actor whose state the runtime can snapshot (durable
// applications checkpoint it after messages and restore it after a crash).
// BaseActor implements it as the JSON of the struct given to SetSelf.
type StatefulActor interface {
	Actor
	GetState() ([]byte, error)
	SetState(state []byte) error
}

// BaseActor gives an actor automatic state: embed it and call SetSelf with
// the actor's own pointer; the state is then the struct's exported fields
// as encoding/json writes them.
type BaseActor struct {
	self any
}

// SetSelf names the struct whose JSON is the actor's state.
func (b *BaseActor) SetSelf(self any) { b.self = self }

// GetState answers the state as JSON ("null" before SetSelf).
func (b *BaseActor) GetState() ([]byte, error) { return json.Marshal(b.self) }

// SetState restores a state GetState answered.
func (b *BaseActor) SetState(state []byte) error {
	if b.self == nil {
		return nil
	}
	return json.Unmarshal(state, b.self)
}

var registered Actor

// Register makes actor the module's actor. Call it from an init function:
// init functions run during the module's _initialize, before the runtime
// calls any export.
func Register(actor Actor) { registered = actor }
