/** Where cancelctl writes, and how: a command's only way out to the terminal. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: progress is redrawn in place. */
  errIsTty: boolean;
  json: boolean;
}
