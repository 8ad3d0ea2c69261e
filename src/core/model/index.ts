export { buildUnet, HEAD_LAYER, headChannels, headMode, HEADS, sizeMultiple } from './unet';
export type { Head, UnetOptions } from './unet';
export { UpConv2x2 } from './upConv';
export { SameConv2D } from './sameConv';
export { BatchNorm } from './batchNorm';
