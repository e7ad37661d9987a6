package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/relay"
)

// relaySource is what the relay's stats and metrics read of a running
// relay node (relaynode.Relay).
type relaySource interface {
	Stats() relay.Stats
	Counts() reach.RelayCounts
	DiskBytes() (int64, error)
}

// relayCollector exports a relay's Stats and Counts as Prometheus series,
// read when scraped (sync/relay and reach import no metrics library).
type relayCollector struct {
	src relaySource

	commOps, commBytes, commDropped, commServed, commLastPush, commPushes, commPulls *prometheus.Desc
	bytes, quota, disk, retention                                                    *prometheus.Desc
	stored, dropped, pushes, pulls, refused                                          *prometheus.Desc
	reservations, circuits, resTotal, circTotal, resRefused, circRefused, relayed    *prometheus.Desc
}

func newRelayCollector(src relaySource) *relayCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("umbrella_relay_"+name, help, labels, nil)
	}
	return &relayCollector{
		src:          src,
		commOps:      d("community_ops", "Ops the relay holds of a community (control and content).", "community"),
		commBytes:    d("community_bytes", "Bytes of the op encodings the relay holds of a community.", "community"),
		commDropped:  d("community_dropped_ops", "Content ops of a community that retention dropped.", "community"),
		commServed:   d("community_members_served", "Members that pulled a community from the relay since it started.", "community"),
		commLastPush: d("community_last_push_timestamp_seconds", "When the relay last stored ops of a community (Unix time; 0: not since it started).", "community"),
		commPushes:   d("community_pushes_total", "Members' nudges (pushes) for a community.", "community"),
		commPulls:    d("community_pulls_total", "Members' reconciliations (pulls) of a community.", "community"),
		bytes:        d("stored_bytes", "Bytes of every op encoding the relay holds."),
		quota:        d("quota_bytes", "The relay's quota (--quota)."),
		disk:         d("disk_bytes", "Size of the relay's store on disk."),
		retention:    d("retention_seconds", "How long the relay keeps content ops (--retention; 0: forever)."),
		stored:       d("ops_stored_total", "Ops the relay stored."),
		dropped:      d("ops_dropped_total", "Content ops retention dropped."),
		pushes:       d("pushes_total", "Members' nudges (pushes)."),
		pulls:        d("pulls_total", "Members' reconciliations (pulls)."),
		refused:      d("refused_total", "Ops (and, for not_member, requests) the relay refused, by reason.", "reason"),
		reservations: d("reservations", "Circuit relay reservations open."),
		circuits:     d("circuits", "Relayed connections open."),
		resTotal:     d("reservations_total", "Circuit relay reservations granted (not renewals)."),
		circTotal:    d("circuits_total", "Relayed connections opened."),
		resRefused:   d("reservations_refused_total", "Reservation requests refused."),
		circRefused:  d("circuits_refused_total", "Relayed connection requests refused."),
		relayed:      d("relayed_bytes_total", "Bytes relayed through circuits."),
	}
}

// Describe implements prometheus.Collector.
func (c *relayCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.commOps, c.commBytes, c.commDropped, c.commServed, c.commLastPush, c.commPushes, c.commPulls,
		c.bytes, c.quota, c.disk, c.retention, c.stored, c.dropped, c.pushes, c.pulls, c.refused,
		c.reservations, c.circuits, c.resTotal, c.circTotal, c.resRefused, c.circRefused, c.relayed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *relayCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	st := c.src.Stats()
	for _, cs := range st.Communities {
		id := cs.ID.String()
		gauge(c.commOps, float64(cs.Ops), id)
		gauge(c.commBytes, float64(cs.Bytes), id)
		gauge(c.commDropped, float64(cs.Dropped), id)
		gauge(c.commServed, float64(cs.MembersServed), id)
		var last float64
		if !cs.LastPush.IsZero() {
			last = float64(cs.LastPush.UnixNano()) / float64(time.Second)
		}
		gauge(c.commLastPush, last, id)
		counter(c.commPushes, cs.Pushes, id)
		counter(c.commPulls, cs.Pulls, id)
	}
	gauge(c.bytes, float64(st.Bytes))
	gauge(c.quota, float64(st.Quota))
	if n, err := c.src.DiskBytes(); err == nil {
		gauge(c.disk, float64(n))
	}
	gauge(c.retention, st.Retention.Seconds())
	counter(c.stored, st.Stored)
	counter(c.dropped, st.Dropped)
	counter(c.pushes, st.Pushes)
	counter(c.pulls, st.Pulls)
	for reason, n := range st.Refused {
		counter(c.refused, n, reason)
	}
	rc := c.src.Counts()
	gauge(c.reservations, float64(rc.Reservations))
	gauge(c.circuits, float64(rc.Circuits))
	counter(c.resTotal, rc.ReservationsGranted)
	counter(c.circTotal, rc.CircuitsOpened)
	counter(c.resRefused, rc.ReservationsRefused)
	counter(c.circRefused, rc.CircuitsRefused)
	counter(c.relayed, rc.BytesRelayed)
}

// relayRegistry returns a registry with the relay's series and the Go
// runtime's and the process's (memory, RSS, open files).
func relayRegistry(src relaySource) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newRelayCollector(src), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
