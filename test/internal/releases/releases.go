// Package releases names the cnat release before this tree, which the tests of upgrades, rollbacks and
// emulated versions run beside it, and where its build is: hack/build-release.sh builds a release from its
// commit in hack/releases.txt into _output/releases/<release>/.
package releases

import "path/filepath"

// Previous is the release this tree upgrades from and can be rolled back to.
const Previous = "1.0"

// Dir is the directory of a release's build under the repository root.
func Dir(root, release string) string {
	return filepath.Join(root, "_output", "releases", release)
}
