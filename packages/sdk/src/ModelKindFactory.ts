import {
  createVisionRunnerEngineFactory,
  type Engine,
  type EngineFactory,
  type EngineLoadOptions,
  type RunnerEngineFactoryOptions,
} from "@sluice/core";

/**
 * Routes each load to the engine kind it needs: models with a projector
 * (`mmprojPath`) go to vision runners, always out of process (the vision
 * binding and node-llama-cpp each bundle a llama.cpp and must not share a
 * process); all others to the text factory.
 */
export class ModelKindFactory implements EngineFactory {
  readonly #text: EngineFactory;
  readonly #runner: Omit<RunnerEngineFactoryOptions, "engineModule" | "engineOptions">;
  #vision: EngineFactory | undefined;

  constructor(
    text: EngineFactory,
    runner: Omit<RunnerEngineFactoryOptions, "engineModule" | "engineOptions"> = {},
  ) {
    this.#text = text;
    this.#runner = runner;
  }

  load(options: EngineLoadOptions, signal?: AbortSignal): Promise<Engine> {
    if (options.mmprojPath === undefined) return this.#text.load(options, signal);
    this.#vision ??= createVisionRunnerEngineFactory(this.#runner);
    return this.#vision.load(options, signal);
  }
}
