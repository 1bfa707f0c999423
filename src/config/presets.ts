/**
 * Provider types. OpenAI-compatible APIs are presets: data over the one OpenAI protocol, not code.
 * Base URLs are the providers' documented API roots.
 */
import type { ProtocolName, ProtocolOptions } from '../providers/types.js';

export interface ProviderPreset {
  protocol: ProtocolName;
  /** Default base URL; undefined when the user must give one (Azure, self-hosted servers). */
  baseUrl?: string;
  options: ProtocolOptions;
  /** Whether a key is required (local OpenAI-compatible servers often have none). */
  requiresKey: boolean;
  /** The base URL of continuation requests, from the provider's base URL (DeepSeek: `…/v1` → `…/beta`). */
  continuationBaseUrl?: (baseUrl: string) => string;
}

const openAICompatible = (baseUrl: string | undefined, options: ProtocolOptions = {}): ProviderPreset => ({
  protocol: 'openai',
  ...(baseUrl ? { baseUrl } : {}),
  options: {
    chatPath: '/chat/completions',
    embeddingsPath: '/embeddings',
    continuation: 'instruction',
    ...options,
  },
  requiresKey: true,
});

export const PROVIDER_PRESETS = {
  openai: openAICompatible('https://api.openai.com/v1'),
  // Continuations (route option `continuation`): Mistral's and DeepSeek's prefix completion (`prefix: true`
  // on the last assistant message; DeepSeek's only on its beta base URL).
  mistral: openAICompatible('https://api.mistral.ai/v1', { continuation: 'prefix' }),
  deepseek: {
    ...openAICompatible('https://api.deepseek.com/v1', { reasoningReplay: true, continuation: 'prefix' }),
    continuationBaseUrl: (baseUrl: string) => baseUrl.replace(/\/v1$/, '') + '/beta',
  },
  groq: openAICompatible('https://api.groq.com/openai/v1'),
  together: openAICompatible('https://api.together.xyz/v1'),
  openrouter: openAICompatible('https://openrouter.ai/api/v1'),
  'azure-openai': openAICompatible(undefined, {
    chatPath: '/deployments/{model}/chat/completions',
    embeddingsPath: '/deployments/{model}/embeddings',
    authHeader: 'api-key',
    authPrefix: '',
  }),
  'openai-compatible': { ...openAICompatible(undefined), requiresKey: false },
  anthropic: {
    protocol: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    options: {
      authHeader: 'x-api-key',
      authPrefix: '',
      apiVersion: '2023-06-01',
      defaultMaxTokens: 4096,
      // A trailing assistant message is continued natively (prefill).
      continuation: 'prefill',
    },
    requiresKey: true,
  },
  gemini: {
    protocol: 'gemini',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    options: { authHeader: 'x-goog-api-key', authPrefix: '', continuation: 'instruction' },
    requiresKey: true,
  },
} satisfies Record<string, ProviderPreset>;

export type ProviderType = keyof typeof PROVIDER_PRESETS;

export const PROVIDER_TYPES = Object.keys(PROVIDER_PRESETS) as [ProviderType, ...ProviderType[]];

/** Azure's default data-plane API version when the config gives none. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';
