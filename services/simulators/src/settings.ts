/** Fixed settings of one running simulators instance. */
export class Settings {
  constructor(
    readonly seed: string,
    readonly stateDir: string,
  ) {}
}
