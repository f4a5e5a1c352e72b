"""A local Salesforce that speaks the real REST and Bulk API 2.0 wire formats over the demo world.

A source written against Salesforce runs unchanged against it, then against the real org:

- OAuth: `POST /services/oauth2/token` (client credentials, password or refresh token grants);
  API calls need `Authorization: Bearer <token>` with a token this server issued (a session a
  client obtained elsewhere, as with the JWT bearer flow, is used the same way); any other is
  401 `INVALID_SESSION_ID`.
- Versions: `GET /services/data/` lists 31.0 to the newest served (`API_VERSION`, v68.0); a
  retired version (below 31.0) answers 410 `GONE`, an unknown one 404 `NOT_FOUND`, as in
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/api_rest_eol.htm and
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm.
- SOQL: `GET /services/data/vXX.X/query?q=` and `/queryAll?q=` (soft-deleted records included),
  paged by a relative `nextRecordsUrl` (`/services/data/vXX.X/query/<locator>-<offset>`) over a
  server-side snapshot of the result, `Sforce-Query-Options: batchSize=N` honoured.
- Describe: `/sobjects/` and `/sobjects/<Object>/describe`; custom fields exist from their
  `introduced_at` on. Deleted records: `/sobjects/<Object>/deleted/?start=&end=`.
- Bulk API 2.0 query jobs: `POST /jobs/query`, poll `GET /jobs/query/<id>`, CSV results paged by
  `Sforce-Locator`, gzip when the client accepts it.
- Every `/services/data` response carries `Sforce-Limit-Info`; past the daily limit calls get 403
  `REQUEST_LIMIT_EXCEEDED`. Faults: the generic kinds of `gtm_demo.serving`, plus
  `expired_token` (the session dies: 401 `INVALID_SESSION_ID`) and `repeat_record` (the next page
  starts with the last record of the page before it).

SOQL is parsed here and translated to parameterised DuckDB SQL over `WorldState.table`; the
subset covers what extraction sends: a field list, one object, `WHERE` with comparisons, `IN`,
`LIKE`, `AND`/`OR`/`NOT` and parentheses, `ORDER BY`, `LIMIT`, `OFFSET`.
"""

from gtm_demo.servers.salesforce.app import create_app, start
from gtm_demo.servers.salesforce.errors import format_datetime
from gtm_demo.servers.salesforce.settings import (
    BATCH_SIZE_DEFAULT,
    BATCH_SIZE_MIN,
    BULK_MAX_RECORDS_DEFAULT,
    INTEGRATION_USER_ID,
    MAX_BULK_JOBS,
    MAX_OPEN_CURSORS,
    ORG_ID,
)

__all__ = [
    "BATCH_SIZE_DEFAULT",
    "BATCH_SIZE_MIN",
    "BULK_MAX_RECORDS_DEFAULT",
    "INTEGRATION_USER_ID",
    "MAX_BULK_JOBS",
    "MAX_OPEN_CURSORS",
    "ORG_ID",
    "create_app",
    "format_datetime",
    "start",
]
