/**
 * Prices for cost-aware routing: the provider's configured `prices` first, else built-in defaults for
 * well-known models (USD per million tokens, list prices; the config overrides them), and a request's
 * estimated cost from its prompt size and `max_tokens`.
 */
import type { Price, Target } from '../config/types.js';

/**
 * List prices (USD / 1M tokens) of well-known models, matched on the upstream model name. Only a
 * default: prices change, so configure `providers.*.prices` for anything that matters.
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = Object.freeze({
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-3-5-haiku-latest': { input: 0.8, output: 4, cachedInput: 0.08 },
  'claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1 },
  'claude-opus-4-1': { input: 15, output: 75, cachedInput: 1.5 },
  'gemini-2.5-pro': { input: 1.25, output: 10, cachedInput: 0.31 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cachedInput: 0.075 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'mistral-large-latest': { input: 2, output: 6 },
  'mistral-small-latest': { input: 0.2, output: 0.6 },
  'deepseek-chat': { input: 0.27, output: 1.1, cachedInput: 0.07 },
  'llama-3.3-70b-versatile': { input: 0.59, output: 0.79 },
});

/** The target's price: configured, else the built-in default for its model, else undefined. */
export function priceOf(target: Target): Price | undefined {
  if (target.price) return target.price;
  return Object.hasOwn(DEFAULT_PRICES, target.model) ? DEFAULT_PRICES[target.model] : undefined;
}

/** What the request is expected to cost on a target, USD; undefined without a price. */
export function estimatedCost(
  target: Target,
  size: { promptTokens: number; outputTokens: number },
): number | undefined {
  const price = priceOf(target);
  if (!price) return undefined;
  return (size.promptTokens * price.input + size.outputTokens * price.output) / 1e6;
}
