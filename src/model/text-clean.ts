import { decodeHTML } from 'entities';

/**
 * open_clip's text cleaning before tokenisation (`tokenizer_kwargs.clean` of the model config):
 * - `lower`: its own CLIP tokenizer's default: basic clean, whitespace collapsed, lower case;
 * - `whitespace`: its Hugging Face tokenizers' default: basic clean, whitespace collapsed;
 * - `canonicalize`: SigLIP's (big_vision's): basic clean, `_` to space, ASCII punctuation removed, lower case,
 *   whitespace collapsed.
 * `none` is the transformers layout's: the tokenizer.json normaliser does all there is.
 */
export type TextClean = 'none' | 'lower' | 'whitespace' | 'canonicalize';

export const textCleans: readonly TextClean[] = ['none', 'lower', 'whitespace', 'canonicalize'];

// Python's string.punctuation.
const asciiPunctuation = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/**
 * open_clip's basic_clean: ftfy.fix_text, HTML entities decoded twice, trimmed. Of ftfy's repairs only its Unicode
 * NFC step is done here: the others mend mojibake and typography that search queries typed by people rarely hold.
 */
const basic = (text: string) => decodeHTML(decodeHTML(text.normalize('NFC'))).trim();

// Python's str.split() with no argument: runs of Unicode whitespace.
const collapse = (text: string) => text.split(/\s+/u).filter(Boolean).join(' ');

export function cleanText(text: string, clean: TextClean): string {
  switch (clean) {
    case 'none':
      return text;
    case 'whitespace':
      return collapse(basic(text));
    case 'lower':
      return collapse(basic(text)).toLowerCase();
    case 'canonicalize':
      return collapse(basic(text).replace(/_/g, ' ').replace(asciiPunctuation, '').toLowerCase());
  }
}
