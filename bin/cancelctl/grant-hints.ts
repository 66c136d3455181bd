/**
 * What cancelctl adds to a refusal that comes from a client's grant (docs/security.md): the
 * service's answer says what the grant lacks or that a target is absent, never whose it is,
 * so the person at the terminal is told what the answer may mean and what to do about it.
 */
import type { ApiAnswer } from "./api-client.ts";
import type { Io } from "./io.ts";
import type { ExitCode } from "./verdicts.ts";

/** What a 403 from an operator route means: the client's grant is not an operator's. */
export const OPERATOR_RIGHTS_HINT =
  'This command needs operator rights: a client whose grant holds operator: "read" (docs/security.md).';

/** What a 404 of a read may mean besides "never requested": another client's target. */
export const OWNERSHIP_HINT =
  "A client sees only its own orders and records; an operator names another's with --owner <clientId> (docs/security.md).";

/** `?owner=…` when an operator names whose order it reads. */
export const ownerQuery = (owner: string | undefined): URLSearchParams =>
  new URLSearchParams(owner === undefined ? {} : { owner });

/** After a read's answer is printed: the ownership hint under a 404 (not in `--json`). */
export const withOwnershipHint = (io: Io, answer: ApiAnswer, code: ExitCode): ExitCode => {
  if (answer.status === 404 && !io.json) io.out(`\n  ${OWNERSHIP_HINT}`);
  return code;
};
