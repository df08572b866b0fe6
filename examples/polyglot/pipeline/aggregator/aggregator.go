// The pipeline's aggregator, in Go (sdks/go): told "priced" by the
// transform stage (Rust), it takes every ("priced", id, sku, total_cents)
// tuple there is and adds it to per-SKU totals, kept as the actor's JSON
// state. "totals" answers them; the report (TypeScript) asks for it.
package main

import (
	"encoding/json"

	"github.com/plexspaces/plexspaces-ts/sdks/go/plexspaces"
)

type SkuTotal struct {
	Orders      int   `json:"orders"`
	RevenueCent int64 `json:"revenue_cents"`
}

type Aggregator struct {
	plexspaces.BaseActor

	Orders       int                  `json:"orders"`
	RevenueCents int64                `json:"revenue_cents"`
	BySku        map[string]*SkuTotal `json:"by_sku"`
}

var host = plexspaces.NewHost()

func (a *Aggregator) Init(configJSON string) string { return "" }

func (a *Aggregator) Handle(from, msgType, payloadJSON string) string {
	switch msgType {
	case "priced":
		taken, err := a.takePriced()
		if err != nil {
			return reply(map[string]any{"error": err.Error(), "aggregated": taken})
		}
		return reply(map[string]any{"aggregated": taken})
	case "totals":
		return reply(a)
	default:
		return reply(map[string]any{"error": "unknown message type: " + msgType})
	}
}

// takePriced folds every waiting ("priced", …) tuple into the totals.
func (a *Aggregator) takePriced() (int, error) {
	taken := 0
	for {
		text, ok, err := host.TsTake(`["priced", null, null, null]`)
		if err != nil || !ok {
			return taken, err
		}
		var tuple []any
		if json.Unmarshal([]byte(text), &tuple) != nil || len(tuple) != 4 {
			host.Warn("aggregator: not a priced tuple: " + text)
			continue
		}
		sku, isString := tuple[2].(string)
		total, isNumber := tuple[3].(float64)
		if !isString || !isNumber {
			host.Warn("aggregator: not a priced tuple: " + text)
			continue
		}
		entry := a.BySku[sku]
		if entry == nil {
			entry = &SkuTotal{}
			a.BySku[sku] = entry
		}
		entry.Orders++
		entry.RevenueCent += int64(total)
		a.Orders++
		a.RevenueCents += int64(total)
		taken++
	}
}

func reply(value any) string {
	data, _ := json.Marshal(value)
	return string(data)
}

func init() {
	a := &Aggregator{BySku: map[string]*SkuTotal{}}
	a.SetSelf(a)
	plexspaces.Register(a)
}

func main() {}
