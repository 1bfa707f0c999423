/**
 * Bounded label values for metrics: routes, targets, providers, models and keys only as configured
 * (keys by name, never by secret); anything else folds into `other`, so that no request can add a
 * time series. Reasons and outcome codes come from the gateway's own catalogue.
 */
import type { ResolvedConfig } from '../config/types.js';

export const OTHER = 'other';
/** Distinct error codes and reasons kept as label values before the rest fold into `other`. */
const MAX_WORDS = 200;
/** Key names kept as label values (config keys and virtual keys together). */
const MAX_KEYS = 500;

export class MetricLabels {
  private readonly routes = new Set<string>();
  private readonly targets = new Set<string>();
  private readonly providers = new Set<string>();
  private readonly models = new Set<string>();
  private readonly keys = new Set<string>();
  /** Error codes and reasons seen so far (bounded: `word`). */
  private readonly words = new Set<string>();
  /** Upstream origins (scheme, host and port of each provider's base URL). */
  private readonly origins = new Set<string>();
  /** Labels of providers' pool keys (`key#2` or a configured name; never a secret). */
  private readonly poolKeys = new Set<string>();

  constructor(config: ResolvedConfig) {
    for (const route of config.routes.values()) {
      this.routes.add(route.name);
      for (const t of route.targets) {
        this.targets.add(t.id);
        this.providers.add(t.provider.id);
        this.models.add(t.model);
      }
    }
    for (const provider of config.providers.values()) {
      for (const key of provider.keyPool?.keys ?? []) this.poolKeys.add(key.label);
      try {
        this.origins.add(new URL(provider.baseUrl).origin);
      } catch {
        // A provider without a parseable base URL has no origin to label.
      }
    }
    for (const key of config.keys) this.keys.add(key.name);
  }

  route(name: string): string {
    return this.routes.has(name) ? name : OTHER;
  }
  target(id: string): string {
    return this.targets.has(id) ? id : OTHER;
  }
  provider(id: string | undefined): string {
    return id !== undefined && this.providers.has(id) ? id : OTHER;
  }
  model(name: string | undefined): string {
    return name !== undefined && this.models.has(name) ? name : OTHER;
  }
  /**
   * `none` when the gateway runs without keys. A key's name in an event is always an authenticated
   * key's (config or virtual, docs/keys.md): virtual keys made at runtime get their own series, up to
   * MAX_KEYS names in all; later ones fold into `other`.
   */
  key(name: string | undefined): string {
    if (name === undefined) return 'none';
    if (this.keys.has(name)) return name;
    if (this.keys.size >= MAX_KEYS || name.length > 64) return OTHER;
    this.keys.add(name);
    return name;
  }
  /** A provider key pool's key label, as configured. */
  poolKey(label: string): string {
    return this.poolKeys.has(label) ? label : OTHER;
  }
  origin(origin: string): string {
    return this.origins.has(origin) ? origin : OTHER;
  }
  /**
   * An error code or reason: the gateway's own words, but codes pass through from many places, so the
   * first ${'$'}{MAX_WORDS} distinct values are kept and any later one folds into `other`.
   */
  word(value: string): string {
    if (this.words.has(value)) return value;
    if (this.words.size >= MAX_WORDS || value.length > 64) return OTHER;
    this.words.add(value);
    return value;
  }
  /** Every configured target, for gauges that start at a known value. */
  allTargets(): string[] {
    return [...this.targets];
  }
}
