/** cancelctl --help. */
export const USAGE = `cancelctl: cancel intents, charges and orders through cancellation-service

Usage:
  cancelctl intent cancel <intentId> [--reason <text>]
  cancelctl charge cancel <chargeUuid> <walletUuid> [--reason <text>]
  cancelctl order cancel <orderId> [--intent <intentId>] [--charge <chargeUuid> --wallet <walletUuid>] [--reason <text>]
  cancelctl order status <orderId> [--owner <clientId>]
  cancelctl audit <intent|charge|order> <id> [--limit <1-100>] [--cursor <cursor>] [--owner <clientId>]
  cancelctl sweep [--dry-run]                 (the local stack only: runs the expiry sweep now)
  cancelctl report --day <YYYY-MM-DD> [--csv]  (operator) a UTC day's reconciliation: totals, refunds, failures, not final
  cancelctl pending [--stuck]                 (operator) cancellations not final (or only STUCK ones), oldest first
  cancelctl bulk submit --file <ids.csv | items.json> [--reason <text>] [--skip-invalid] [--wait]
  cancelctl bulk status <jobId>
  cancelctl bulk results <jobId> [--csv] [--outcome <OUTCOME>]
  cancelctl bulk stop <jobId>
  cancelctl dlq list [--queue <name>] [--limit <n>]
  cancelctl dlq show <messageId> [--queue <name>]
  cancelctl dlq redrive <messageId> | --all [--queue <name>]

Bulk cancellations (docs/bulk-cancellations.md): a CSV with a header row (\`id\` alone for
intents; \`type,id,chargeUuid,walletUuid,orderId,intentId\`) or a JSON file ({"items": [...]}), up
to 10,000 items, run in the background. --wait follows the job to its end: a progress bar
(done/total, rate, time left) on a terminal, plain lines otherwise; exit 0 when it ended with
no FAILED item, 1 otherwise. --outcome is one of QUEUED, RUNNING, PENDING, CANCELLED,
ALREADY_CANCELLED, NOT_CANCELLABLE, NOT_FOUND, FORBIDDEN, REFUND_REQUIRED, FAILED, REJECTED,
STOPPED, DUPLICATE.

Dead-letter queues (dlq) come from the stack's outputs: .local/outputs.json while the local
stack runs, else .sst/outputs.json (sst deploy writes it; AWS credentials and region from the
environment), or --outputs <file>. One queue by flags: --queue-url <url> --redrive-to
<queue url | function name> [--holds bus-event|schedule-input]. --endpoint <url> overrides
the SQS endpoint (a local stack).

Who may do what is the app's grant in the service's clients secret (docs/security.md). Commands
marked (operator) need operator rights (a grant with operator: "read"; others get FORBIDDEN).
order status and audit show only your app's own orders and records (another's answer
NOT_FOUND, as if absent); an operator reads another client's order with --owner <clientId>
(or --owner bus:<source> for a bus producer's).

Options:
  --idempotency-key <key>  reuse a key to retry a cancel safely (default: a new UUID per run)
  --json                   machine-readable output on stdout
  --env-file <path>        client settings file (default: $CANCEL_LOCAL_DIR/client.env or .local/client.env)
  -h, --help               this text

Settings (the environment wins over the file): CANCEL_API_URL, APP_ID, APP_SECRET (signed
routes), A55_ACCESS_TOKEN (the charge route). \`npm start\` writes them to .local/client.env.

Exit codes: 0 done (cancelled, already cancelled, pending); 2 rejected (not cancellable,
not found, forbidden, refund required); 1 failed (unreachable, 5xx, refused credentials,
conflict); 64 bad usage.`;
