import { anthropicProtocol } from './anthropic/index.js';
import { geminiProtocol } from './gemini/index.js';
import { openAIProtocol } from './openai/index.js';
import type { ChatProtocol, ProtocolName } from './types.js';

const protocols = new Map<ProtocolName, ChatProtocol>([
  ['openai', openAIProtocol],
  ['anthropic', anthropicProtocol],
  ['gemini', geminiProtocol],
]);

/** The protocol implementation for a wire protocol name, or undefined if this build has none. */
export function chatProtocol(name: ProtocolName): ChatProtocol | undefined {
  return protocols.get(name);
}
