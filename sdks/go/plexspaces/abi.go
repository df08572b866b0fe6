package plexspaces

import "unsafe"

// The core-module ABI's exports. The runtime writes each message into the
// input buffer (plex_alloc), calls plex_handle, and copies the reply from
// plex_reply_ptr(). A worker runs one handler of an actor at a time, so one
// input and one reply buffer suffice; they are globals, which keeps them
// alive (Go's collector does not move objects).

var (
	input = make([]byte, 0, 4096)
	reply = make([]byte, 1)
)

// bytesAt views n bytes of linear memory at ptr (a pointer the runtime
// passed, into a buffer this package owns).
func bytesAt(ptr, n int32) []byte {
	if n <= 0 {
		return nil
	}
	// The runtime passes addresses as i32; they point into this package's input buffer, which the
	// global keeps alive. unsafe.Add from nil rather than a uintptr conversion keeps go vet quiet.
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), int(uint32(ptr)))), n)
}

func address(b []byte) int32 { return int32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

//go:wasmexport plex_alloc
func plexAlloc(size int32) int32 {
	if int(size) > cap(input) {
		input = make([]byte, size)
	}
	input = input[:cap(input)]
	return address(input)
}

//go:wasmexport plex_reply_ptr
func plexReplyPtr() int32 { return address(reply) }

func setReply(b []byte) int32 {
	if len(b) > cap(reply) {
		reply = make([]byte, len(b))
	}
	reply = reply[:cap(reply)]
	copy(reply, b)
	return int32(len(b))
}

//go:wasmexport plex_init
func plexInit(ptr, n int32) int32 {
	if registered == nil {
		logLine(levelError, "plexspaces: no actor registered (call plexspaces.Register in an init function)")
		return -1
	}
	if failure := registered.Init(string(bytesAt(ptr, n))); failure != "" {
		logLine(levelError, "init failed: "+failure)
		return -1
	}
	return 0
}

//go:wasmexport plex_handle
func plexHandle(typePtr, typeLen, payloadPtr, payloadLen int32) int32 {
	if registered == nil {
		return -1
	}
	msgType := string(bytesAt(typePtr, typeLen))
	payload := string(bytesAt(payloadPtr, payloadLen))
	return setReply([]byte(registered.Handle(sender(), msgType, payload)))
}

//go:wasmexport plex_get_state
func plexGetState() int32 {
	stateful, ok := registered.(StatefulActor)
	if !ok {
		return -1
	}
	state, err := stateful.GetState()
	if err != nil {
		logLine(levelError, "get state: "+err.Error())
		return -1
	}
	return setReply(state)
}

//go:wasmexport plex_set_state
func plexSetState(ptr, n int32) int32 {
	stateful, ok := registered.(StatefulActor)
	if !ok {
		return -1
	}
	if err := stateful.SetState(append([]byte(nil), bytesAt(ptr, n)...)); err != nil {
		logLine(levelError, "set state: "+err.Error())
		return -1
	}
	return 0
}
