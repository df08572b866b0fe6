module github.com/plexspaces/plexspaces-ts/sdks/go

go 1.24
