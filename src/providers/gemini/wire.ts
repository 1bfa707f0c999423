/**
 * The Gemini API (generativelanguage v1beta) wire shapes this module reads and writes: only the fields it
 * uses. Field names follow the REST reference (ai.google.dev/api/generate-content, …/api/caching#Content,
 * …/api/embeddings) and the official SDK's types (googleapis/js-genai `src/types.ts`).
 */

export interface Blob {
  mimeType: string;
  /** Base64. */
  data: string;
}

export interface FileData {
  mimeType: string;
  fileUri: string;
}

export interface FunctionCall {
  id?: string;
  name?: string;
  args?: Record<string, unknown>;
}

export interface FunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

export interface Part {
  text?: string;
  /** True on a thought-summary part (…/docs/thinking#summaries). */
  thought?: boolean;
  /** Opaque, base64; returned on function calls by thinking models (…/docs/thought-signatures). */
  thoughtSignature?: string;
  inlineData?: Blob;
  fileData?: FileData;
  functionCall?: FunctionCall;
  functionResponse?: FunctionResponse;
}

export interface Content {
  role?: 'user' | 'model';
  parts: Part[];
}

export interface FunctionDeclaration {
  name: string;
  description?: string;
  /** JSON Schema, the alternative to the OpenAPI-subset `parameters` (mutually exclusive with it). */
  parametersJsonSchema?: Record<string, unknown>;
}

export interface Tool {
  functionDeclarations: FunctionDeclaration[];
}

export interface ToolConfig {
  functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] };
}

export interface ThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  thinkingLevel?: 'minimal' | 'low' | 'medium' | 'high';
}

export interface GenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  seed?: number;
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseLogprobs?: boolean;
  logprobs?: number;
  responseMimeType?: string;
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: ThinkingConfig;
}

export interface GenerateContentRequest {
  contents: Content[];
  systemInstruction?: Content;
  tools?: Tool[];
  toolConfig?: ToolConfig;
  safetySettings?: unknown[];
  generationConfig?: GenerationConfig;
}

export interface LogprobsCandidate {
  token?: string;
  tokenId?: number;
  logProbability?: number;
}

export interface LogprobsResult {
  topCandidates?: { candidates?: LogprobsCandidate[] }[];
  chosenCandidates?: LogprobsCandidate[];
}

export interface Candidate {
  index?: number;
  content?: { role?: string; parts?: Part[] };
  finishReason?: string;
  logprobsResult?: LogprobsResult;
}

export interface UsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  toolUsePromptTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

export interface GenerateContentResponse {
  candidates?: Candidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  responseId?: string;
  error?: unknown;
}

/** google.rpc.Status as JSON (…/gemini-api/docs/generate-content/api-errors). */
export interface RpcStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: { '@type'?: string; [key: string]: unknown }[];
}

export interface EmbedContentRequest {
  model?: string;
  content: { parts: { text: string }[] };
  taskType?: string;
  title?: string;
  outputDimensionality?: number;
}

export interface ContentEmbedding {
  values?: number[];
}
