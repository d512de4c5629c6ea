package storageerrors

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/embeddedetcd"
)

// TestInterpretWhatEtcdAnswers: the errors a real etcd answers (through the client k8s.io/apiserver uses)
// become the answers of the table, not only the error values etcd's packages declare.
func TestInterpretWhatEtcdAnswers(t *testing.T) {
	etcd, err := embeddedetcd.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	client := etcdClient(t, etcd.ClientURL(), "", "")

	t.Run("over etcd's --max-request-bytes", func(t *testing.T) {
		_, err := client.Put(timeout(t), "big", strings.Repeat("x", 1700<<10))
		assertAnswer(t, Interpret(err, ats, "create"), tooLargeForEtcdAnswer)
	})
	t.Run("over gRPC's send limit", func(t *testing.T) {
		_, err := client.Put(timeout(t), "bigger", strings.Repeat("x", 2<<20))
		assertAnswer(t, Interpret(err, ats, "create"), tooLargeForGRPCAnswer)
	})
	t.Run("compacted", func(t *testing.T) {
		first, err := client.Put(timeout(t), "k", "1")
		if err != nil {
			t.Fatal(err)
		}
		second, err := client.Put(timeout(t), "k", "2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Compact(timeout(t), second.Header.Revision); err != nil {
			t.Fatal(err)
		}
		_, err = client.Get(timeout(t), "k", clientv3.WithRev(first.Header.Revision))
		assertAnswer(t, Interpret(err, ats, "get"), expiredAnswer)
	})
	t.Run("database full", func(t *testing.T) {
		// The alarm etcd raises when its database reaches --quota-backend-bytes.
		members, err := client.MemberList(timeout(t))
		if err != nil {
			t.Fatal(err)
		}
		alarm := &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: members.Members[0].ID, Alarm: pb.AlarmType_NOSPACE}
		if _, err := pb.NewMaintenanceClient(client.ActiveConnection()).Alarm(timeout(t), alarm); err != nil {
			t.Fatal(err)
		}
		_, err = client.Put(timeout(t), "k", "3")
		assertAnswer(t, Interpret(err, ats, "update"), outOfSpaceAnswer)
		// The operator's way out, as docs/operations.md gives it: defragment, disarm, and writes work again.
		if _, err := client.Defragment(timeout(t), etcd.ClientURL()); err != nil {
			t.Fatal(err)
		}
		if _, err := client.AlarmDisarm(timeout(t), &clientv3.AlarmMember{MemberID: alarm.MemberID, Alarm: alarm.Alarm}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Put(timeout(t), "k", "3"); err != nil {
			t.Errorf("write after the alarm was disarmed: %v", err)
		}
	})
	t.Run("credentials refused", func(t *testing.T) {
		for _, step := range []func() error{
			func() error { _, err := client.RoleAdd(timeout(t), "root"); return err },
			func() error { _, err := client.UserAdd(timeout(t), "root", "root-password"); return err },
			func() error { _, err := client.UserGrantRole(timeout(t), "root", "root"); return err },
			func() error { _, err := client.UserAdd(timeout(t), "no-roles", "password"); return err },
			func() error { _, err := client.AuthEnable(timeout(t)); return err },
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		_, err := etcdClient(t, etcd.ClientURL(), "no-roles", "password").Put(timeout(t), "k", "4")
		assertAnswer(t, Interpret(err, ats, "update"), credentialsAnswer("etcdserver: permission denied"))
		_, err = client.Get(timeout(t), "k") // no user at all
		assertAnswer(t, Interpret(err, ats, "get"), credentialsAnswer("etcdserver: user name is empty"))
	})
}

// TestUntrustedEtcdIsATimeout: when the TLS handshake with etcd fails (its certificate is not trusted, or it
// refuses the server's), etcd's client keeps waiting for a connection and reports only the request's
// deadline. The answer is the 504 with Retry-After of a slow etcd; what is wrong is in cnat-apiserver's log
// ("authentication handshake failed") and its failing /readyz.
func TestUntrustedEtcdIsATimeout(t *testing.T) {
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler()) // its certificate's CA is not the client's
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0)
	untrusted.StartTLS()
	defer untrusted.Close()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{untrusted.Listener.Addr().String()}, TLS: &tls.Config{},
		DialTimeout: time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = client.Put(ctx, "k", "v")
	assertAnswer(t, Interpret(err, ats, "create"), timeoutAnswer("deadline exceeded"))
}

func etcdClient(t *testing.T, url, user, password string) *clientv3.Client {
	t.Helper()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 10 * time.Second, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
