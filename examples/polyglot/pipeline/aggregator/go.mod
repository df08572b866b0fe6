module github.com/plexspaces/plexspaces-ts/examples/polyglot/pipeline/aggregator

go 1.24

require github.com/plexspaces/plexspaces-ts/sdks/go v0.0.0

replace github.com/plexspaces/plexspaces-ts/sdks/go => ../../../../sdks/go
