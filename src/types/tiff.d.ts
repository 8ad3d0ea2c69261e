/**
 * The part of the `tiff` package's API SegLab uses. The package ships its own types, but only through
 * package.json "exports", which this project's `moduleResolution: node` does not read.
 */
declare module 'tiff' {
  export interface TiffIfd {
    width: number;
    height: number;
    /** Photometric interpretation: 0 WhiteIsZero, 1 BlackIsZero, 2 RGB, 3 palette. */
    type: number;
    samplesPerPixel: number;
    bitsPerSample: number;
    alpha: boolean;
    data: Uint8Array | Uint16Array | Float32Array | Float64Array;
  }
  export function decode(data: Uint8Array | ArrayBuffer, options?: { pages?: number[]; ignoreImageData?: boolean }): TiffIfd[];
  export function pageCount(data: Uint8Array | ArrayBuffer): number;
}
