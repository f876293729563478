export { ServiceCoreModule } from './lib/service-core.module';
export type {
  RemoteKeySet,
  ServiceCoreConfig,
  ServiceCoreOptions,
  ServiceDatabase,
} from './lib/service-core.module';
