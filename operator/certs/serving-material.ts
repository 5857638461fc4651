/** The certificate the operator serves its webhook and sync channel with, and the CA that clients trust. */
export interface ServingMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA (PEM) to trust: the webhook's caBundle and the sidecars' SWITCHBOARD_OPERATOR_CA_PEM. */
  readonly caPem: string;
}

/** Where the serving material comes from: the operator's own CA (a Secret), or files cert-manager keeps fresh. */
export interface CertificateSource {
  /** The material now; undefined until the first usable one is known. */
  current(): ServingMaterial | undefined;
  /** Called with each new material (a rotation), after `current()` returns it. */
  onChange(listener: (material: ServingMaterial) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const sameMaterial = (a: ServingMaterial | undefined, b: ServingMaterial | undefined): boolean =>
  a?.certPem === b?.certPem && a?.keyPem === b?.keyPem && a?.caPem === b?.caPem;

/** Listeners of a CertificateSource, each isolated: one that throws does not keep the others from the news. */
export class MaterialListeners {
  readonly #listeners: ((material: ServingMaterial) => void)[] = [];
  readonly #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  add(listener: (material: ServingMaterial) => void): void {
    this.#listeners.push(listener);
  }

  notify(material: ServingMaterial): void {
    for (const listener of this.#listeners) {
      try {
        listener(material);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
