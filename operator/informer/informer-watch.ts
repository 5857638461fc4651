import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface InformerWatchHooks {
  /** Query parameters added to every watch (the library's ListWatch sends only resourceVersion and selectors). */
  readonly query: () => Record<string, string | number | boolean>;
  /** Every event, bookmarks included: the informer resets its error backoff on them. */
  readonly onEvent: () => void;
  /** Called as a watch is opened, i.e. once the list before it is in the store. */
  readonly onOpen: () => void;
  readonly stopped: () => boolean;
}

/**
 * The library's Watch as the library's ListWatch uses it, with what that lacks:
 * - bookmarks and a server-side timeout are asked for (ListWatch asks for neither), so the version to resume from
 *   moves on a quiet collection and replicas do not all reconnect in step;
 * - a start that throws (an exec credential plugin that fails) becomes the watch's end, where ListWatch would leave
 *   an unhandled rejection;
 * - a watch whose connection completes after the informer stopped is closed at once;
 * - the inactivity timeout after which a silent watch is restarted (the library's, 30 s, has no option) is set.
 */
export class InformerWatch extends Watch {
  readonly #hooks: InformerWatchHooks;

  constructor(config: KubeConfig, hooks: InformerWatchHooks, inactivityTimeoutMs: number) {
    super(config);
    this.#hooks = hooks;
    // Watch aborts a watch with no byte for `requestTimeoutMs` (a TimeoutError, which ListWatch resumes from the
    // last version at once); the field is not in its type declarations.
    Reflect.set(this, 'requestTimeoutMs', inactivityTimeoutMs);
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, object: unknown, event?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.#hooks.stopped()) return aborted();
    this.#hooks.onOpen();
    const onEvent = (phase: string, object: unknown, event?: unknown) => {
      this.#hooks.onEvent();
      callback(phase, object, event);
    };
    try {
      const controller = await super.watch(path, { ...query, ...this.#hooks.query() }, onEvent, done);
      if (this.#hooks.stopped()) controller.abort();
      return controller;
    } catch (err) {
      done(err);
      return aborted();
    }
  }
}

function aborted(): AbortController {
  const controller = new AbortController();
  controller.abort();
  return controller;
}
