import type { ScaleProgress, ScaleSeries, ScaleSettings } from './scale-types';

// replaced by the storage series
export const measureStorageScale: (
  settings: ScaleSettings,
  progress: ScaleProgress,
) => Promise<ScaleSeries[]> = async () => [];
