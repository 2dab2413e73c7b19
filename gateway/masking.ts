/** Masks for fields a decision allows only masked (姓名 张*, 身份证 first 6 + last 4, 电子健康卡 first 4 + last 4, 手机 138****1234). */
import type { MaskKind } from '../schema/classification.js';

export function mask(kind: MaskKind, value: string): string {
  const characters = [...value];
  switch (kind) {
    case 'NAME':
      return characters.length <= 1 ? '*' : `${characters[0]}${'*'.repeat(characters.length - 1)}`;
    case 'ID_CARD':
      return characters.length < 10 ? '*'.repeat(characters.length) : `${value.slice(0, 6)}${'*'.repeat(characters.length - 10)}${value.slice(-4)}`;
    case 'HEALTH_CARD':
      return characters.length < 8 ? '*'.repeat(characters.length) : `${value.slice(0, 4)}${'*'.repeat(characters.length - 8)}${value.slice(-4)}`;
    case 'PHONE':
      return characters.length < 7 ? '*'.repeat(characters.length) : `${value.slice(0, 3)}${'*'.repeat(characters.length - 7)}${value.slice(-4)}`;
    case 'ADDRESS':
      // Keep the coarse part (province/city/district) a clinician may need, hide the street and number.
      return characters.length <= 6 ? '*'.repeat(characters.length) : `${characters.slice(0, 6).join('')}****`;
    case 'TEXT':
      return '****';
  }
}
