"""The connector toolkit every source shares.

- `spec`, `tables`: what a source says about itself; one `Table` per raw table gives its Arrow
  schema, dlt hints and test DDL.
- `settings`: checks for settings, one wording for every source.
- `http`, `error_hooks`, `google_errors`, `google_oauth`: the HTTP client with retries, and how a
  vendor's error bodies are read.
- `paging`, `prefetch`: paginators over the client, and overlapping fetches with decoding.
- `window`: the date window a run fetches, and the guard that what it yields lies inside it.
- `errors`, `progress`: what connectors raise, and rows fetched so far.
"""
