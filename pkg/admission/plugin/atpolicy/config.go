package atpolicy

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	atpolicyapi "github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy/install"
	atpolicyv1alpha1 "github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy/validation"
)

var (
	configScheme = runtime.NewScheme()
	// Strict: a misspelt field is an error, not a rule silently left out.
	configCodecs = serializer.NewCodecFactory(configScheme, serializer.EnableStrict)
)

func init() {
	install.Install(configScheme)
}

// LoadConfiguration reads the plugin's configuration (an AtPolicyConfiguration, YAML or JSON), defaults and
// validates it. No configuration (nil) is the defaulted empty one: allow everything, change nothing. Every
// error names the field it is about.
func LoadConfiguration(config io.Reader) (*atpolicyapi.AtPolicyConfiguration, error) {
	internal := &atpolicyapi.AtPolicyConfiguration{}
	if config == nil {
		external := &atpolicyv1alpha1.AtPolicyConfiguration{}
		configScheme.Default(external)
		if err := configScheme.Convert(external, internal, nil); err != nil {
			return nil, err
		}
		return internal, nil
	}

	data, err := io.ReadAll(config)
	if err != nil {
		return nil, err
	}
	obj, err := runtime.Decode(configCodecs.UniversalDecoder(), data)
	if err != nil {
		return nil, fmt.Errorf("AtPolicyConfiguration: %w", withField(err, data))
	}
	internal, ok := obj.(*atpolicyapi.AtPolicyConfiguration)
	if !ok {
		return nil, fmt.Errorf("AtPolicyConfiguration: got %T, want kind AtPolicyConfiguration of %s",
			obj, atpolicyv1alpha1.SchemeGroupVersion)
	}
	if errs := validation.ValidateAtPolicyConfiguration(internal); len(errs) != 0 {
		return nil, fmt.Errorf("AtPolicyConfiguration: %w", errs.ToAggregate())
	}
	return internal, nil
}

// withField puts the field a decoding error is about in front of it. Strict errors and type mismatches name
// their field already, but a value whose own UnmarshalJSON fails does not: metav1.Duration's "forever" is
// just `time: invalid duration "forever"`. So each field of the file is decoded alone into its v1alpha1
// type, and the first that fails is named.
func withField(err error, data []byte) error {
	if runtime.IsStrictDecodingError(err) || runtime.IsNotRegisteredError(err) || runtime.IsMissingKind(err) ||
		runtime.IsMissingVersion(err) {
		return err
	}
	jsonData, yamlErr := utilyaml.ToJSON(data)
	var fields map[string]json.RawMessage
	if yamlErr != nil || json.Unmarshal(jsonData, &fields) != nil {
		return err
	}
	configType := reflect.TypeFor[atpolicyv1alpha1.AtPolicyConfiguration]()
	for i := range configType.NumField() {
		f := configType.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		raw, present := fields[name]
		if f.Anonymous || !present {
			continue
		}
		if fieldErr := json.Unmarshal(raw, reflect.New(f.Type).Interface()); fieldErr != nil {
			return fmt.Errorf("%s: %w", name, fieldErr)
		}
	}
	return err
}
