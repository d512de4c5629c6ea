package clusteraccess

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/klog/v2"
)

// Unserved returns the needs whose resource the cluster does not serve in the needed API version. A group
// version the cluster does not know (404) serves none of its resources; any other discovery error is
// returned, so that no plugin is turned off on a guess.
func Unserved(dc discovery.DiscoveryInterface, needs []Need) ([]Need, error) {
	served := map[schema.GroupVersion][]string{}
	var unserved []Need
	for _, n := range needs {
		gv := n.GroupVersion()
		names, known := served[gv]
		if !known {
			list, err := dc.ServerResourcesForGroupVersion(gv.String())
			switch {
			case apierrors.IsNotFound(err):
				names = []string{}
			case err != nil:
				return nil, fmt.Errorf("discovery of %s: %w", gv, err)
			default:
				names = make([]string, 0, len(list.APIResources))
				for _, r := range list.APIResources {
					names = append(names, r.Name)
				}
			}
			served[gv] = names
		}
		name := n.Resource.Resource
		if n.Subresource != "" {
			name += "/" + n.Subresource
		}
		if !slices.Contains(names, name) {
			unserved = append(unserved, n)
		}
	}
	return unserved, nil
}

// UnservedWithRetry is Unserved, retried every interval until timeout while discovery fails (the cluster
// may be restarting while the server starts), with the failure logged each time.
func UnservedWithRetry(ctx context.Context, dc discovery.DiscoveryInterface, needs []Need, interval, timeout time.Duration) ([]Need, error) {
	var unserved []Need
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(context.Context) (bool, error) {
		unserved, lastErr = Unserved(dc, needs)
		if lastErr != nil {
			klog.InfoS("Cannot tell yet which admission APIs the cluster serves; retrying", "err", lastErr)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		if lastErr != nil {
			err = lastErr
		}
		return nil, fmt.Errorf("asking the cluster which APIs it serves (for the admission plugins): %w", err)
	}
	return unserved, nil
}
