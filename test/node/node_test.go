package node

import "testing"

// TestNode uses one installation of cnat on the real node, part after part in this order (each leaves it
// installed and healthy for the next) and uninstalls it; then installs the previous release as its own commit
// did and upgrades it to this tree's. `make test` runs the first four.
func TestNode(t *testing.T) {
	for _, part := range []struct {
		name string
		test func(*testing.T)
	}{
		{"Install", testInstall},
		{"AtRunsARealContainer", testAtRunsARealContainer},
		{"RollingRestartUnderLoad", testRollingRestartUnderLoad},
		{"AggregatorCutOffFromOneReplica", testAggregatorCutOffFromOneReplica},
		{"Readme", testReadme},
		{"EvictionRespectsPDB", testEvictionRespectsPDB},
		{"EtcdPodDeleted", testEtcdPodDeleted},
		{"EtcdMemberVolumeLost", testEtcdMemberVolumeLost},
		{"EtcdOperations", testEtcdOperations},
		{"Uninstall", testUninstall},
		{"UpgradeFromPreviousRelease", testUpgradeFromPreviousRelease},
	} {
		if !t.Run(part.name, part.test) && part.name == "Install" {
			t.Fatal("cnat is not installed as it should be: the other parts would only repeat that")
		}
	}
}
