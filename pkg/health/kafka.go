package health

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// strimziRule is Strimzi's convention: NotReady=True is Degraded (but a
// Kafka cluster still Creating is not), Ready=True is Healthy.
func strimziRule(waiting, notReadyExceptReason string) conditionRule {
	return conditionRule{waiting: waiting, passes: [][]conditionCase{{
		{Type: "NotReady", Status: conditionTrue, NotReason: notReadyExceptReason, Health: v1alpha1.HealthStatusDegraded},
		{Type: "Ready", Status: conditionTrue, Health: v1alpha1.HealthStatusHealthy, EmptyMessage: true},
	}}}
}

// strimziChecks cover Strimzi's Kafka clusters, topics, users and connectors.
var strimziChecks = kinds("kafka.strimzi.io", map[string]check{
	"Kafka":          strimziRule("Waiting for Kafka Cluster", "Creating").check,
	"KafkaTopic":     strimziRule("Waiting for Kafka Topic", "").check,
	"KafkaUser":      strimziRule("Waiting for Kafka User", "").check,
	"KafkaConnect":   strimziRule("Waiting for Kafka Connect", "").check,
	"KafkaConnector": strimziRule("Waiting for KafkaConnector", "").check,
	"KafkaBridge":    strimziRule("Waiting for KafkaBridge", "").check,
})
