module github.com/plexspaces/plexspaces-ts/native-bench/polyglot/go

go 1.24

require github.com/plexspaces/plexspaces-ts/sdks/go v0.0.0

replace github.com/plexspaces/plexspaces-ts/sdks/go => ../../../sdks/go
