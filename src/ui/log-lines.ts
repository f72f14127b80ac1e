// A followed log as lines that survive a dropped stream: each line comes with the agent's
// timestamp (timestamps=true), and a resumed follow asks for the lines since the last one shown.
// `since` includes that instant, so the lines already shown at exactly that time are skipped:
// nothing twice, nothing lost (the server keeps nanosecond times and compares them as written).

export interface LogLine {
  /** Its position in the whole follow: a stable key across filters. */
  seq: number;
  time: string;
  text: string;
}

export class LogFollow {
  private lastTime: string | undefined;
  /** Lines shown with exactly lastTime: a resume from it sends them again. */
  private atLastTime = 0;
  private toSkip = 0;
  private partial = '';
  private seq = 0;

  /** The `since` of the next request: undefined for the first one (which asks for a tail). */
  since(): string | undefined {
    return this.lastTime;
  }

  /** A new request begins: what it repeats is skipped; a half line of the old one is dropped with it. */
  resume(): void {
    this.toSkip = this.atLastTime;
    this.partial = '';
  }

  /** The complete new lines in a chunk of the answer. */
  take(chunk: string): LogLine[] {
    const pieces = (this.partial + chunk).split('\n');
    this.partial = pieces.pop()!;
    const out: LogLine[] = [];
    for (const piece of pieces) {
      const space = piece.indexOf(' ');
      const time = space < 0 ? piece : piece.slice(0, space);
      const text = space < 0 ? '' : piece.slice(space + 1);
      if (time === this.lastTime && this.toSkip > 0) {
        this.toSkip--;
        continue;
      }
      this.toSkip = 0;
      if (time === this.lastTime) this.atLastTime++;
      else {
        this.lastTime = time;
        this.atLastTime = 1;
      }
      out.push({ seq: this.seq++, time, text });
    }
    return out;
  }
}
