package options

import (
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
)

// applyStorageMediaType makes etcd's codec write --storage-media-type. The generic EtcdOptions ignore that
// flag unless a server uses a StorageFactory (kube-apiserver does; a server with one codec for everything, as
// ours, does not), so without this the flag would be accepted and JSON written regardless.
//
// Whatever it writes, the codec reads JSON, YAML and protobuf alike (it recognizes the encoding of each
// value), so a data dir written with one media type is read after restarting with the other, and each object
// is rewritten in the new one on its next write.
func (o *Options) applyStorageMediaType() error {
	etcd := o.RecommendedOptions.Etcd
	codec, versioner, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  etcd.DefaultStorageMediaType,
		StorageSerializer: apiserver.Codecs,
		StorageVersion:    v1beta1.SchemeGroupVersion,
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
