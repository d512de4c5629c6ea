package nullbackend

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/gentype"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	applyv1beta1 "github.com/programming-kubernetes/cnat/pkg/generated/applyconfiguration/cnat/v1beta1"
	cnatclient "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/typed/cnat/v1beta1"
)

var parameterCodec = runtime.NewParameterCodec(Scheme)

// NewClient is cnat's typed At client for the null backend's group, in the content types config asks for:
// the benchmarks' workloads run on it unchanged.
func NewClient(config *rest.Config) (cnatclient.CnatV1beta1Interface, error) {
	config = rest.CopyConfig(config)
	config.GroupVersion = &GroupVersion
	config.APIPath = "/apis"
	config.NegotiatedSerializer = Codecs.WithoutConversion()
	if config.UserAgent == "" {
		config.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	client, err := rest.RESTClientFor(config)
	if err != nil {
		return nil, err
	}
	return &atClient{rest: client}, nil
}

// atClient is made as client-gen makes cnat's, but with this Scheme's parameter codec: the generated
// client's converts the request options for cnat's group only.
type atClient struct{ rest rest.Interface }

func (c *atClient) RESTClient() rest.Interface { return c.rest }

func (c *atClient) Ats(namespace string) cnatclient.AtInterface {
	return gentype.NewClientWithListAndApply[*v1beta1.At, *v1beta1.AtList, *applyv1beta1.AtApplyConfiguration](
		Resource.Resource, c.rest, parameterCodec, namespace,
		func() *v1beta1.At { return &v1beta1.At{} },
		func() *v1beta1.AtList { return &v1beta1.AtList{} },
	)
}
