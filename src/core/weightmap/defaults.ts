/**
 * The U-Net weight map's defaults, from Ronneberger et al. 2015 (w0 = 10, σ = 5 px), in one place: the
 * weight map, the unetWeighted loss, the CLI's usage text and the dashboard's hint read them from here.
 * (No imports, so the webview bundle can include it.)
 */
export const UNET_WEIGHT_DEFAULTS = { w0: 10, sigma: 5 } as const;
