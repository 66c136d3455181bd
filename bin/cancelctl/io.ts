/** Where cancelctl writes, and how: a command's only way out to the terminal. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: progress is redrawn in place. */
  errIsTty: boolean;
  json: boolean;
}

/**
 * A reader that stops early (`cancelctl bulk results <id> | head`) closes the pipe, and the
 * next write fails with EPIPE: cancelctl then ends quietly (exit 0, as `cat` under `head`
 * does in effect), instead of dying with an unhandled stream error. Any other failure of
 * the stream is still thrown.
 */
export const endQuietlyOnClosedPipe = (stream: NodeJS.WriteStream, exit: (code: number) => void): void => {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    exit(0);
  });
};
