// The polyglot benchmark's actor in Go (../README.md): ping and spin.
package main

import (
	"encoding/json"

	"github.com/plexspaces/plexspaces-ts/sdks/go/plexspaces"
)

type BenchActor struct{}

func (b *BenchActor) Init(configJSON string) string { return "" }

func (b *BenchActor) Handle(from, msgType, payloadJSON string) string {
	switch msgType {
	case "ping":
		return `{"pong": true}`
	case "spin":
		var request struct {
			N int64 `json:"n"`
		}
		json.Unmarshal([]byte(payloadJSON), &request)
		out, _ := json.Marshal(map[string]int64{"result": spin(request.N)})
		return string(out)
	default:
		return `{"error": "unknown message type"}`
	}
}

func spin(n int64) int64 {
	acc := 1.0
	for i := int64(0); i < n; i++ {
		v := float64(i%7) + 1
		switch i % 4 {
		case 0:
			acc = acc + v
		case 1:
			acc = acc - v*0.5
		case 2:
			acc = acc * 1.0000001
		default:
			acc = acc / 1.0000002
		}
	}
	return int64(acc * 1e6)
}

func init() { plexspaces.Register(&BenchActor{}) }

func main() {}
