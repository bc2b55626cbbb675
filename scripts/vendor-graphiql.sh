#!/usr/bin/env bash
# Refreshes the GraphiQL assets served by the binary (api/assets/graphiql), so the page works
# on networks that block public CDNs. Needs npm; run from the repository root.
set -euo pipefail
GRAPHIQL=3.8.3
REACT=18.3.1
dest=api/assets/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null )
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$work/$pkg" && tar xzf "$work/$pkg.tgz" -C "$work/$pkg"
done
for f in "graphiql-$GRAPHIQL/package/graphiql.min.js" "graphiql-$GRAPHIQL/package/graphiql.min.css" \
         "react-$REACT/package/umd/react.production.min.js" "react-dom-$REACT/package/umd/react-dom.production.min.js"; do
  gzip -9 -n -c "$work/$f" > "$dest/$(basename "$f").gz"
done
echo "updated $dest; review LICENSES.txt if the versions changed"
