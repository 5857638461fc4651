/** OpenAI message content parts → Anthropic content blocks. */
import {
  ANTHROPIC_IMAGE_MEDIA_TYPES,
  type AnthropicDocumentBlock,
  type AnthropicImageBlock,
  type AnthropicTextBlock,
} from './anthropic-types.ts';
import { Untranslatable } from './untranslatable.ts';
import { isRecord, stringOf } from '../../../core/json.ts';

export type UserBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock;

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s;

/** Content that may only hold text (system, developer, tool and assistant messages). */
export function textOf(content: unknown, where: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new Untranslatable(`${where}: content must be a string or an array`);
  return content
    .map((part: unknown, i) => {
      if (!isRecord(part)) throw new Untranslatable(`${where}.content[${i}] is not an object`);
      if (part.type === 'text' && typeof part.text === 'string') return part.text;
      // An assistant's refusal is what it said; Anthropic has no separate field for it.
      if (part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
      throw new Untranslatable(
        `${where}.content[${i}]: the Anthropic dialect takes only text here, not "${String(part.type)}"`,
      );
    })
    .join('');
}

/** Text blocks for non-empty text (the API refuses empty text blocks). */
export function textBlocks(text: string): AnthropicTextBlock[] {
  return text === '' ? [] : [{ type: 'text', text }];
}

/** A user message's content: text, images (data or http URLs) and PDF files. */
export function userBlocks(content: unknown, where: string): UserBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return textBlocks(content);
  if (!Array.isArray(content)) throw new Untranslatable(`${where}: content must be a string or an array`);
  return content.flatMap((part: unknown, i): UserBlock[] => {
    const at = `${where}.content[${i}]`;
    if (!isRecord(part)) throw new Untranslatable(`${at} is not an object`);
    switch (part.type) {
      case 'text':
        return textBlocks(stringOf(part.text) ?? '');
      case 'image_url':
        return [imageBlock(part.image_url, at)];
      case 'file':
        return [documentBlock(part.file, at)];
      case 'input_audio':
        throw new Untranslatable(`${at}: the Anthropic Messages API takes no audio input`);
      default:
        throw new Untranslatable(`${at}: content part type "${String(part.type)}" has no Anthropic form`);
    }
  });
}

function imageBlock(imageUrl: unknown, at: string): AnthropicImageBlock {
  const url = isRecord(imageUrl) ? stringOf(imageUrl.url) : stringOf(imageUrl);
  if (url === undefined) throw new Untranslatable(`${at}: image_url.url is missing`);
  const data = parseDataUrl(url);
  if (data) {
    if (!data.base64) throw new Untranslatable(`${at}: image data URLs must be base64-encoded`);
    if (!ANTHROPIC_IMAGE_MEDIA_TYPES.includes(data.mediaType)) {
      throw new Untranslatable(
        `${at}: image type ${data.mediaType} is not accepted by Anthropic (${ANTHROPIC_IMAGE_MEDIA_TYPES.join(', ')})`,
      );
    }
    return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.payload } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new Untranslatable(`${at}: image URLs must be http(s) or base64 data URLs`);
}

function documentBlock(file: unknown, at: string): AnthropicDocumentBlock {
  if (!isRecord(file)) throw new Untranslatable(`${at}: file is missing`);
  if (file.file_id !== undefined) {
    throw new Untranslatable(`${at}: OpenAI file ids cannot be read by Anthropic; send file_data instead`);
  }
  const fileData = stringOf(file.file_data);
  const filename = stringOf(file.filename);
  if (fileData === undefined) throw new Untranslatable(`${at}: file.file_data is missing`);
  const data = parseDataUrl(fileData);
  const isPdf = data ? data.mediaType === 'application/pdf' : /\.pdf$/i.test(filename ?? '');
  if (!isPdf || (data && !data.base64)) {
    throw new Untranslatable(`${at}: the Anthropic dialect takes only base64 PDF files`);
  }
  return {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: data ? data.payload : fileData },
    ...(filename === undefined ? {} : { title: filename }),
  };
}

function parseDataUrl(url: string): { mediaType: string; base64: boolean; payload: string } | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  const params = (match[2] ?? '').split(';').map((p) => p.trim().toLowerCase());
  return {
    mediaType: (match[1] ?? '').trim().toLowerCase(),
    base64: params.includes('base64'),
    payload: match[3] ?? '',
  };
}
