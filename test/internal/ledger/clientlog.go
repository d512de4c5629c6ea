package ledger

import (
	"os"

	"k8s.io/klog/v2"
)

// LogClientsTo sends client-go's logs (the informers' watches ended by faults, retries) to the file at path
// instead of stderr, so that a test's output is its figures; close closes the file.
func LogClientsTo(path string) (close func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	klog.LogToStderr(false)
	klog.SetOutput(f)
	return f.Close, nil
}
