package options

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	basecompatibility "k8s.io/component-base/compatibility"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
)

// StorageVersion is the version Ats are written to etcd in at an effective cnat version, by upstream's rule
// (k8s.io/apiserver's emulated storage version): the highest-priority version that is not alpha and was
// introduced at or before the minimum compatibility version — the oldest release a rollback may go to
// (by default the emulated release less one), so that release can read every byte written. The
// versions' prerelease-lifecycle tags say when each was introduced.
func StorageVersion(effective basecompatibility.EffectiveVersion) (schema.GroupVersion, error) {
	encoding := serverstorage.NewDefaultResourceEncodingConfigForEffectiveVersion(apiserver.Scheme, effective)
	return encoding.BackwardCompatibileStorageEncodingFor(cnat.Resource("ats"), &cnat.At{})
}

// applyStorageVersion makes etcd's codec write Ats in the storage version of the emulated release, in
// --storage-media-type. The generic EtcdOptions ignore that flag unless a server uses a StorageFactory
// (kube-apiserver does; a server with one codec for everything, as ours, does not), so without this the flag
// would be accepted and JSON written regardless.
//
// Whatever it writes, the codec reads every version it serves, in JSON, YAML and protobuf alike (it
// recognizes the encoding of each value), so a data dir written with one media type or storage version is
// read after restarting with the other, and each object is rewritten in the new one on its next write (or
// by a StorageVersionMigration).
func (o *Options) applyStorageVersion() error {
	etcd := o.RecommendedOptions.Etcd
	version, err := StorageVersion(o.ComponentGlobalsRegistry.EffectiveVersionFor(apiserver.ComponentName))
	if err != nil {
		return err
	}
	codec, versioner, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  etcd.DefaultStorageMediaType,
		StorageSerializer: apiserver.Codecs,
		StorageVersion:    version,
		MemoryVersion:     cnat.SchemeGroupVersion,
		Config:            etcd.StorageConfig,
	})
	if err != nil {
		return err
	}
	etcd.StorageConfig.Codec = codec
	etcd.StorageConfig.EncodeVersioner = versioner
	return nil
}
