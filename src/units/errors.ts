// One error type for everything in src/units: a unit file that cannot be read, a unit name
// that is not valid, a setting systemd would refuse. Callers (the fleet façade, the CLI, the
// agent's unit driver) turn it into their own answer; `fleetMessage` is the exact text fleet
// itself would put in a 400, when fleet would refuse the same input.

/** systemd's LoadState for a unit that fails to load: a syntax error, or a bad setting. */
export type FailedLoadState = 'error' | 'bad-setting';

export interface UnitFileErrorDetails {
  /** 1-based line of the unit file text, when the problem has one. */
  line?: number;
  /** The option the problem is about. */
  section?: string;
  name?: string;
  /** What fleet (go-systemd, fleet's api package) says for the same input, if fleet refuses it. */
  fleetMessage?: string;
  /** What systemd would report as the unit's LoadState. */
  loadState?: FailedLoadState;
}

export class UnitFileError extends Error {
  override name = 'UnitFileError';
  readonly line: number | undefined;
  readonly section: string | undefined;
  readonly option: string | undefined;
  readonly fleetMessage: string | undefined;
  readonly loadState: FailedLoadState;
  constructor(message: string, details: UnitFileErrorDetails = {}) {
    super(message);
    this.line = details.line;
    this.section = details.section;
    this.option = details.name;
    this.fleetMessage = details.fleetMessage;
    this.loadState = details.loadState ?? 'bad-setting';
  }
}

/** A problem systemd logs and then ignores (the setting keeps its previous value). */
export interface UnitWarning {
  /** 1-based line of the unit file as systemd reads it (the serialized options). */
  line?: number;
  section: string;
  name: string;
  message: string;
}
