package plexspaces

import (
	"encoding/json"
	"runtime"
	"strconv"
	"unsafe"
)

//go:wasmimport plex call
func hostCall(op int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport plex result
func hostResult(dst unsafe.Pointer)

//go:wasmimport plex log
func hostLog(level int32, ptr unsafe.Pointer, n int32)

//go:wasmimport plex now_ms
func hostNowMs() float64

// Operation codes of plex.call (src/runtime/core-abi.ts).
const (
	opTsWrite    = 1
	opTsRead     = 2
	opTsTake     = 3
	opTsReadAll  = 4
	opSend       = 5
	opAsk        = 6
	opSelfID     = 7
	opTsTakeWait = 8
	opPgJoin     = 14
	opPgBcast    = 15
	opKvGet      = 16
	opKvPut      = 17
	opKvDelete   = 18
	opKvList     = 19
	opLockAcq    = 20
	opLockRel    = 21
	opPgLeave    = 27
	opPgMembers  = 28
	opSender     = 36
)

const (
	levelDebug = 0
	levelInfo  = 1
	levelWarn  = 2
	levelError = 3
)

// DefaultAskTimeoutMs is how long Ask waits for a reply.
const DefaultAskTimeoutMs = 5000

// HostError is a failed host call: the operation and the runtime's status
// (-1 failed, -2 unknown operation, -3 too large).
type HostError struct {
	Op     int32
	Status int32
}

func (e *HostError) Error() string {
	return "plexspaces: host call " + strconv.Itoa(int(e.Op)) + " failed with status " + strconv.Itoa(int(e.Status))
}

// Host is the actor's way to the runtime: logging, the clock, messages,
// the tuple space, KV and process groups. Every call is synchronous for the
// actor; calls that wait (Ask, TsTakeWait) block only its worker.
type Host struct{}

// NewHost answers the host; all Hosts are the same.
func NewHost() *Host { return &Host{} }

func call(op int32, request []byte) ([]byte, error) {
	var ptr unsafe.Pointer
	if len(request) > 0 {
		ptr = unsafe.Pointer(&request[0])
	}
	n := hostCall(op, ptr, int32(len(request)))
	runtime.KeepAlive(request)
	if n < 0 {
		return nil, &HostError{Op: op, Status: n}
	}
	if n == 0 {
		return nil, nil
	}
	result := make([]byte, n)
	hostResult(unsafe.Pointer(&result[0]))
	return result, nil
}

// fields joins newline-separated request fields; the last may hold newlines.
func fields(parts ...string) []byte {
	size := len(parts) - 1
	for _, p := range parts {
		size += len(p)
	}
	out := make([]byte, 0, size)
	for i, p := range parts {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, p...)
	}
	return out
}

func logLine(level int32, message string) {
	if len(message) == 0 {
		return
	}
	b := []byte(message)
	hostLog(level, unsafe.Pointer(&b[0]), int32(len(b)))
	runtime.KeepAlive(b)
}

func sender() string {
	from, err := call(opSender, nil)
	if err != nil {
		return ""
	}
	return string(from)
}

func (h *Host) Debug(message string) { logLine(levelDebug, message) }
func (h *Host) Info(message string)  { logLine(levelInfo, message) }
func (h *Host) Warn(message string)  { logLine(levelWarn, message) }
func (h *Host) Error(message string) { logLine(levelError, message) }

// NowMs answers the wall clock in milliseconds (a durable actor's clock is
// recorded, and a replay sees the same times).
func (h *Host) NowMs() uint64 { return uint64(hostNowMs()) }

// ActorID answers the actor's own id.
func (h *Host) ActorID() string {
	id, _ := call(opSelfID, nil)
	return string(id)
}

// Send sends a message; it is delivered after the current handler returns.
func (h *Host) Send(to, msgType, payload string) error {
	_, err := call(opSend, fields(to, msgType, payload))
	return err
}

// Ask sends a message and waits for the reply (DefaultAskTimeoutMs).
func (h *Host) Ask(to, msgType, payload string) (string, error) {
	return h.AskTimeout(to, msgType, payload, DefaultAskTimeoutMs)
}

// AskTimeout is Ask with its own timeout in milliseconds.
func (h *Host) AskTimeout(to, msgType, payload string, timeoutMs int) (string, error) {
	reply, err := call(opAsk, fields(to, msgType, strconv.Itoa(timeoutMs), payload))
	return string(reply), err
}

// TsWrite writes a tuple, given as JSON (int64 as {"$int": "…"}, bytes as
// {"$bytes": "<base64>"}, see src/tuple/json.ts).
func (h *Host) TsWrite(tupleJSON string) error {
	_, err := call(opTsWrite, []byte(tupleJSON))
	return err
}

// TsRead answers a tuple matching the pattern (null fields match anything),
// and whether one matched.
func (h *Host) TsRead(patternJSON string) (string, bool, error) {
	return found(call(opTsRead, []byte(patternJSON)))
}

// TsTake removes and answers a matching tuple, without waiting.
func (h *Host) TsTake(patternJSON string) (string, bool, error) {
	return found(call(opTsTake, []byte(patternJSON)))
}

// TsTakeWait waits up to timeoutMs for a matching tuple and takes it.
func (h *Host) TsTakeWait(patternJSON string, timeoutMs int) (string, bool, error) {
	return found(call(opTsTakeWait, fields(patternJSON, strconv.Itoa(timeoutMs))))
}

// TsReadAll answers every matching tuple, each as JSON.
func (h *Host) TsReadAll(patternJSON string) ([]string, error) {
	data, err := call(opTsReadAll, []byte(patternJSON))
	if err != nil {
		return nil, err
	}
	var tuples []json.RawMessage
	if err := json.Unmarshal(data, &tuples); err != nil {
		return nil, err
	}
	out := make([]string, len(tuples))
	for i, t := range tuples {
		out[i] = string(t)
	}
	return out, nil
}

// KvGet answers the value of key in the actor's tenant and namespace, and
// whether it is set (an empty value reads as not set).
func (h *Host) KvGet(key string) (string, bool, error) {
	return found(call(opKvGet, []byte(key)))
}

// KvPut sets key to value.
func (h *Host) KvPut(key, value string) error { return h.KvPutTTL(key, value, 0) }

// KvPutTTL sets key to value for ttlMs milliseconds (0: no expiry).
func (h *Host) KvPutTTL(key, value string, ttlMs int) error {
	ttl := ""
	if ttlMs > 0 {
		ttl = strconv.Itoa(ttlMs)
	}
	_, err := call(opKvPut, fields(key, ttl, value))
	return err
}

// KvDelete removes key.
func (h *Host) KvDelete(key string) error {
	_, err := call(opKvDelete, []byte(key))
	return err
}

// KvList answers the keys that start with prefix.
func (h *Host) KvList(prefix string) ([]string, error) {
	data, err := call(opKvList, []byte(prefix))
	if err != nil {
		return nil, err
	}
	var keys []string
	err = json.Unmarshal(data, &keys)
	return keys, err
}

// PgJoin joins a process group.
func (h *Host) PgJoin(group string) error {
	_, err := call(opPgJoin, []byte(group))
	return err
}

// PgLeave leaves a process group.
func (h *Host) PgLeave(group string) error {
	_, err := call(opPgLeave, []byte(group))
	return err
}

// PgMembers answers the ids of a group's members.
func (h *Host) PgMembers(group string) ([]string, error) {
	data, err := call(opPgMembers, []byte(group))
	if err != nil {
		return nil, err
	}
	var members []string
	err = json.Unmarshal(data, &members)
	return members, err
}

// PgBroadcast sends a message to every member of a group and answers how many got it.
func (h *Host) PgBroadcast(group, msgType, payload string) (int, error) {
	data, err := call(opPgBcast, fields(group, msgType, payload))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(data))
}

// Lock is a held lock: its id and fencing version, whose lease ends at
// ExpiresAtMs unless it is released first.
type Lock struct {
	LockID      string `json:"lock_id"`
	Version     string `json:"version"`
	Holder      string `json:"holder"`
	ExpiresAtMs int64  `json:"expires_at_ms"`
}

// LockAcquire takes the lock name in the actor's scope for leaseSecs,
// waiting up to timeoutMs (0: fail at once if held) while another holder
// has it. The holder is the actor itself.
func (h *Host) LockAcquire(name string, leaseSecs, timeoutMs int) (*Lock, error) {
	data, err := call(opLockAcq, fields("", "", "", name, strconv.Itoa(leaseSecs), strconv.Itoa(timeoutMs)))
	if err != nil {
		return nil, err
	}
	var lock Lock
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, err
	}
	return &lock, nil
}

// LockRelease gives a lock back.
func (h *Host) LockRelease(lock *Lock) error {
	_, err := call(opLockRel, fields(lock.LockID, "", "", lock.Holder, lock.Version))
	return err
}

func found(data []byte, err error) (string, bool, error) {
	if err != nil {
		return "", false, err
	}
	return string(data), len(data) > 0, nil
}
