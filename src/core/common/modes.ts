/**
 * The three segmentation modes, as in segmentation_models_pytorch (`smp.losses.constants`): shared by
 * losses, metrics, the model's heads and the data loaders. (No imports.)
 */
export const BINARY_MODE = 'binary';
export const MULTICLASS_MODE = 'multiclass';
export const MULTILABEL_MODE = 'multilabel';
export const LOSS_MODES = [BINARY_MODE, MULTICLASS_MODE, MULTILABEL_MODE] as const;
export type LossMode = (typeof LOSS_MODES)[number];
