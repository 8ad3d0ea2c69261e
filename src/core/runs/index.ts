export { toJson, writeFileAtomic } from './atomicWrite';
