package main

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/scheme"
)

func TestCountProtobufItems(t *testing.T) {
	list := &v1beta1.AtList{ListMeta: metav1.ListMeta{ResourceVersion: "7", Continue: "next"}}
	for _, name := range []string{"a", "b", "c"} {
		list.Items = append(list.Items, v1beta1.At{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1beta1.AtSpec{Command: []string{"echo"}}})
	}
	list.SetGroupVersionKind(v1beta1.SchemeGroupVersion.WithKind("AtList"))
	var body bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(list, &body); err != nil {
		t.Fatal(err)
	}
	got, err := countProtobufItems(body.Bytes())
	if err != nil || got != 3 {
		t.Errorf("countProtobufItems = %d, %v; want 3", got, err)
	}
	if _, err := countProtobufItems([]byte(`{"items":[]}`)); err == nil {
		t.Error("JSON was taken for protobuf")
	}
}

func TestCountJSONItems(t *testing.T) {
	got, err := countJSONItems(strings.NewReader(`{"kind":"AtList","metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a"}},{"a":[1,{"items":[2]}]}]}`))
	if err != nil || got != 2 {
		t.Errorf("countJSONItems = %d, %v; want 2", got, err)
	}
}

func TestCountWatchFrames(t *testing.T) {
	var stream bytes.Buffer
	for _, typ := range []string{"ADDED", "ADDED", "BOOKMARK", "ADDED", "ERROR", "ADDED"} {
		// A WatchEvent in raw protobuf: type (1), object (2).
		event := protowire.AppendTag(nil, 1, protowire.BytesType)
		event = protowire.AppendString(event, typ)
		event = protowire.AppendTag(event, 2, protowire.BytesType)
		event = protowire.AppendBytes(event, []byte("k8s\x00object"))
		_ = binary.Write(&stream, binary.BigEndian, uint32(len(event)))
		stream.Write(event)
	}
	var types []string
	err := countWatchFrames(&stream, func(typ string) bool {
		types = append(types, typ)
		return typ != "ERROR"
	})
	if err != nil || strings.Join(types, ",") != "ADDED,ADDED,BOOKMARK,ADDED,ERROR" {
		t.Errorf("countWatchFrames saw %v, %v", types, err)
	}
}

func TestWatchFloorDeliversEveryWrite(t *testing.T) {
	f, err := watchFloor(t.Context(), millionOptions{watchers: 20, writeRate: 50, writeDuration: 2 * time.Second}, 400)
	if err != nil {
		t.Fatal(err)
	}
	if f.writes != 100 || f.least != 100 || f.most != 100 || f.short != 0 || f.ended != 0 {
		t.Errorf("floor: %+v", f)
	}
}

// countWatchLines reads each event's type from a JSON watch stream, the long ones too, and stops on an error.
func TestCountWatchLines(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the reader's buffer
	stream := `{"type":"ADDED","object":{"metadata":{"name":"a"}}}` + "\n" +
		`{"type":"MODIFIED","object":{"spec":"` + long + `"}}` + "\n" +
		`{"type":"ADDED","object":{}}` + "\n" +
		`{"type":"ERROR","object":{"kind":"Status"}}` + "\n" +
		`{"type":"ADDED","object":{}}` + "\n"
	var got []string
	err := countWatchLines(strings.NewReader(stream), func(typ string) bool {
		got = append(got, typ)
		return typ != "ERROR"
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ADDED", "MODIFIED", "ADDED", "ERROR"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if err := countWatchLines(strings.NewReader("not json\n"), func(string) bool { return true }); err == nil {
		t.Fatal("a line that is not an event was counted")
	}
}
