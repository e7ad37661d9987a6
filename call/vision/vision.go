// Package vision is one call's video in the app: the camera's pictures
// encoded and sent through the call's media.Session, and each sender's
// frames decoded into a picture the call window draws into its tile.
//
// In a mesh the camera's picture is encoded once. Through an SFU it is
// encoded in as many simulcast layers as the Session sends (PlanLayers:
// the camera's size and halves of it), each by its own encoder at the
// bitrate the Session's uplink estimate gives it, a layer the uplink
// cannot carry not at all; back in a mesh, the camera's encoder returns
// to the bitrate it opened with. The tiles the window draws say what to ask of
// the SFU (media.Session.ShowLayers): each sender drawn lately, at the
// layer of its tile's size; a sender no tile draws is not asked for.
//
// It uses no cgo: the camera, the encoder and the decoder come through
// its interfaces (call/device/camera and call/codec/vpx satisfy them),
// wired by the app, so its logic is tested without devices or codecs.
// Join makes one media.Local of a call's sound (call/voice) and its video.
package vision

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/sfu"
	"github.com/umbrella-p2p/umbrella/call/tile"
)

// ErrNoCamera: the camera could not be opened (there is none, or it is
// busy); the call sends audio only.
var ErrNoCamera = errors.New("vision: no camera")

// Camera is a source of pictures (a call/device/camera.Source).
type Camera interface {
	// Read waits for the next picture, 4:2:0.
	Read(ctx context.Context) (*image.YCbCr, error)
	// Close stops the camera.
	Close() error
}

// Encoder compresses pictures into VP8 frames (a *vpx.Encoder).
type Encoder interface {
	// Encode compresses one picture, a key frame if forceKey; key says
	// whether it is one. A nil frame means nothing to send.
	Encode(img *image.YCbCr, forceKey bool) (frame []byte, key bool, err error)
	// SetBitrate changes the target bitrate, in bits per second.
	SetBitrate(bps int) error
	// Bitrate is the current target bitrate, in bits per second.
	Bitrate() int
	// Close frees it.
	Close() error
}

// Decoder decodes one sender's VP8 frames (a *vpx.Decoder).
type Decoder interface {
	// DecodeTo decodes frame into dst when it fits, else into a new
	// picture, and returns the picture.
	DecodeTo(frame []byte, dst *image.YCbCr) (*image.YCbCr, error)
	// Close frees it.
	Close() error
}

// Config configures a Pipeline.
type Config struct {
	// Send is whether this participant sends video (a video call).
	Send bool
	// OpenCamera opens the camera and an encoder sized from what the
	// camera delivers. An error wrapping ErrNoCamera means there is no
	// camera to use; nil OpenCamera means the same.
	OpenCamera func() (Camera, Encoder, error)
	// NewLayerEncoder makes the encoder of a simulcast layer below the
	// camera's size (PlanLayers): through an SFU the Pipeline encodes as
	// many layers as the Session sends (media.Session.VideoLayers). Nil:
	// one layer only.
	NewLayerEncoder func(LayerSpec) (Encoder, error)
	// NewDecoder makes a decoder for one sender; required.
	NewDecoder func() (Decoder, error)
	// NeedKeyFrame is the decoder's error for a frame it cannot decode
	// until a key frame comes (vpx.ErrNeedKeyFrame); on it the sender is
	// asked for one, at most once per KeyFrameRequestEvery.
	NeedKeyFrame error
	// Logger receives chatter at Debug (nil: discarded).
	Logger *slog.Logger
	// Now is the clock of key-frame requests (nil: time.Now).
	Now func() time.Time
}

// sender is what a Pipeline sends through (a media.Session).
type sender interface {
	Send(media.Frame) error
	RequestKeyFrame(id string) error
	VideoLayers() int
	VideoBitrates() []int
	ShowLayers(map[string]sfu.Layer) error
}

// Pipeline is one call's video. It is safe for concurrent use; Close
// stops it.
type Pipeline struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	// forceKey is, by layer, whether a receiver asked for a key frame.
	forceKey [sfu.MaxLayers]atomic.Bool

	mu        sync.Mutex
	out       sender              // nil until Start; guarded by mu
	on        bool                // the member wants the camera on; guarded by mu
	capture   *capture            // the running camera, nil when off; guarded by mu
	cameraErr error               // why the camera is not sending; guarded by mu
	senders   map[string]*decoded // pictures by sender; guarded by mu
	closed    bool                // guarded by mu
	// drawn is, by sender, when a tile last drew its video and the
	// layer that tile needs; shown is what was last asked of the SFU
	// (ShowLayers). Both guarded by mu.
	drawn map[string]drawnTile
	shown map[string]sfu.Layer
}

// drawnTile is a tile's last draw of a sender's video.
type drawnTile struct {
	at    time.Time
	layer sfu.Layer
}

// capture is a running camera and its goroutine.
type capture struct {
	cancel context.CancelFunc
	done   chan struct{}
	sent   atomic.Uint64
}

// decoded is one sender's decoder and latest picture.
type decoded struct {
	mu      sync.Mutex
	dec     Decoder      // nil once closed; guarded by mu
	pic     *image.YCbCr // the latest picture, reused; guarded by mu
	seq     uint64       // pictures decoded; guarded by mu
	asked   time.Time    // the last key-frame request; guarded by mu
	lastErr error        // guarded by mu
}

// New returns a Pipeline; with cfg.Send the camera is on once started.
func New(cfg Config) (*Pipeline, error) {
	if cfg.NewDecoder == nil {
		return nil, errors.New("vision: no NewDecoder")
	}
	p := &Pipeline{cfg: cfg, log: cfg.Logger, now: cfg.Now, on: cfg.Send, senders: map[string]*decoded{},
		drawn: map[string]drawnTile{}, shown: map[string]sfu.Layer{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("component", "vision")
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Start begins sending through s (media.Local): the camera opens if it is
// on.
func (p *Pipeline) Start(s *media.Session) error { return p.start(s) }

func (p *Pipeline) start(out sender) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("vision: closed")
	}
	if p.out != nil {
		return errors.New("vision: started twice")
	}
	p.out = out
	if p.on {
		p.openCamera()
	}
	return nil
}

// openCamera opens the camera and starts sending its pictures. p.mu is
// held.
func (p *Pipeline) openCamera() {
	if p.capture != nil {
		return
	}
	if !p.cfg.Send {
		p.cameraErr = errors.New("vision: this call sends no video")
		return
	}
	if p.cfg.OpenCamera == nil {
		p.cameraErr = ErrNoCamera
		return
	}
	cam, enc, err := p.cfg.OpenCamera()
	if err != nil {
		p.cameraErr = err
		p.log.Info("no camera: the call sends audio only", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &capture{cancel: cancel, done: make(chan struct{})}
	p.capture, p.cameraErr = c, nil
	p.askKeyFrames() // receivers start with a key frame
	go p.run(ctx, c, cam, enc, p.out)
}

// askKeyFrames makes every layer's next frame a key frame.
func (p *Pipeline) askKeyFrames() {
	for l := range p.forceKey {
		p.forceKey[l].Store(true)
	}
}

// layer is one simulcast layer's encoder in run: the top one is the
// camera's, the others are made by NewLayerEncoder and encode pictures
// scaled down into pic.
type layer struct {
	spec LayerSpec
	enc  Encoder
	pic  *image.YCbCr // nil for the top layer
	rate int          // the bitrate last set (0: the encoder's own)
	off  bool         // not sent: the uplink does not carry it
}

// run encodes and sends cam's pictures until ctx ends or the camera
// stops: as many layers as out sends, each at the bitrate the uplink
// gives it, the top one dropped when the uplink cannot carry it.
func (p *Pipeline) run(ctx context.Context, c *capture, cam Camera, enc Encoder, out sender) {
	defer close(c.done)
	var (
		layers   []*layer
		planN    int         // the layers out sent when layers were planned
		planSize image.Point // the camera's picture size then
		// own is the camera encoder's bitrate as it opened: a mesh's,
		// which it returns to whenever it is the only layer.
		own = enc.Bitrate()
	)
	defer func() {
		for _, l := range layers[:max(len(layers)-1, 0)] {
			_ = l.enc.Close()
		}
		_ = enc.Close()
	}()
	defer func() { _ = cam.Close() }()
	for {
		img, err := cam.Read(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.mu.Lock()
			if p.capture == c {
				p.capture, p.cameraErr = nil, fmt.Errorf("%w: the camera stopped: %w", ErrNoCamera, err)
			}
			p.mu.Unlock()
			return
		}
		if n, size := out.VideoLayers(), img.Rect.Size(); layers == nil || n != planN || size != planSize {
			layers, planN, planSize = p.replan(layers, enc, own, img, n), n, size
		}
		rates := out.VideoBitrates()
		for i, l := range layers {
			if p.pace(l, i, rates) {
				p.encode(c, out, l, i, img)
			}
		}
	}
}

// replan returns the layers to encode img with when out sends n, those
// of PlanLayers, in place of old; top is the camera's encoder, which
// opened at bitrate own. When a lower layer's encoder cannot be made, the
// camera's is the only one. Alone (a mesh, as after a fallback from an
// SFU) it is planned at own, so that it does not keep the bitrate the
// SFU's uplink estimate last gave it.
func (p *Pipeline) replan(old []*layer, top Encoder, own int, img *image.YCbCr, n int) []*layer {
	if p.cfg.NewLayerEncoder == nil {
		n = 1
	}
	plan := PlanLayers(img.Rect.Dx(), img.Rect.Dy(), n)
	for _, l := range old[:max(len(old)-1, 0)] {
		_ = l.enc.Close()
	}
	out := make([]*layer, 0, len(plan))
	for _, spec := range plan[:len(plan)-1] {
		enc, err := p.cfg.NewLayerEncoder(spec)
		if err != nil {
			p.log.Debug("no encoder for a layer", "width", spec.Width, "err", err)
			for _, l := range out {
				_ = l.enc.Close()
			}
			out = out[:0]
			break
		}
		out = append(out, &layer{spec: spec, enc: enc,
			pic: image.NewYCbCr(image.Rect(0, 0, spec.Width, spec.Height), image.YCbCrSubsampleRatio420)})
	}
	topSpec := plan[len(plan)-1]
	if len(out) == 0 {
		topSpec.Bitrate = own // alone: the encoder's own
	}
	out = append(out, &layer{spec: topSpec, enc: top})
	p.askKeyFrames() // a new layer starts with one; the others' receivers may switch
	return out
}

// pace sets layer l (number i) to the bitrate rates give it (nil: its
// plan's) and reports whether it is sent: a layer the uplink does not
// carry (0) is not, and starts again with a key frame.
func (p *Pipeline) pace(l *layer, i int, rates []int) bool {
	rate := l.spec.Bitrate
	if i < len(rates) {
		rate = rates[i]
	}
	if rate == 0 && rates != nil {
		if !l.off {
			p.log.Debug("layer dropped: the uplink does not carry it", "layer", i)
		}
		l.off = true
		return false
	}
	if l.off {
		l.off = false
		p.forceKey[i].Store(true)
	}
	if rate != 0 && rate != l.rate {
		if err := l.enc.SetBitrate(rate); err != nil {
			p.log.Debug("bitrate not set", "layer", i, "bps", rate, "err", err)
		}
		l.rate = rate
	}
	return true
}

// encode encodes img into layer l (number i) and sends it.
func (p *Pipeline) encode(c *capture, out sender, l *layer, i int, img *image.YCbCr) {
	pic := img
	if l.pic != nil {
		scaleInto(l.pic, img)
		pic = l.pic
	}
	frame, key, err := l.enc.Encode(pic, p.forceKey[i].Swap(false))
	if err != nil {
		p.log.Debug("picture not encoded", "layer", i, "err", err)
		return
	}
	if len(frame) == 0 {
		return
	}
	if err := out.Send(media.Frame{Kind: media.Video, Layer: uint8(i), Data: frame, KeyFrame: key}); err != nil {
		if !errors.Is(err, media.ErrNoSendKey) {
			p.log.Debug("frame not sent", "layer", i, "err", err)
		}
		if key { // the receivers still need one
			p.forceKey[i].Store(true)
		}
		return
	}
	if i == 0 {
		c.sent.Add(1)
	}
}

// SetCamera turns the camera on or off. Off, it stops at once and no more
// video is sent; on, it opens again (CameraState says whether it could).
func (p *Pipeline) SetCamera(on bool) {
	p.mu.Lock()
	p.on = on
	var c *capture
	if on {
		if p.out != nil && !p.closed {
			p.openCamera()
		}
	} else {
		c, p.capture, p.cameraErr = p.capture, nil, nil
	}
	p.mu.Unlock()
	if c != nil {
		c.cancel()
		<-c.done
	}
}

// CameraState says whether the camera is sending, and if the member wants
// it on but it is not, why.
func (p *Pipeline) CameraState() (sending bool, problem error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.on {
		return false, nil
	}
	return p.capture != nil, p.cameraErr
}

// Sent is how many video frames the running camera sent (0 when off).
func (p *Pipeline) Sent() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.capture == nil {
		return 0
	}
	return p.capture.sent.Load()
}

// KeyFrameRequest makes every layer's next frame a key frame
// (media.Sink).
func (p *Pipeline) KeyFrameRequest(string) { p.askKeyFrames() }

// LayerKeyFrameRequest makes the next frame of one layer a key frame
// (media.LayerSink).
func (p *Pipeline) LayerKeyFrameRequest(_ string, l uint8) {
	if int(l) < len(p.forceKey) {
		p.forceKey[l].Store(true)
	}
}

// Frame decodes a video frame of participant from into its picture
// (media.Sink); other kinds are ignored. A frame the decoder cannot use
// until a key frame asks from for one, at most once per
// KeyFrameRequestEvery.
func (p *Pipeline) Frame(from string, f media.Frame) {
	if f.Kind != media.Video {
		return
	}
	d := p.decoderOf(from)
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return
	}
	pic, err := d.dec.DecodeTo(f.Data, d.pic)
	if err == nil {
		d.pic, d.lastErr = pic, nil
		d.seq++
		return
	}
	d.lastErr = err
	if p.cfg.NeedKeyFrame == nil || !errors.Is(err, p.cfg.NeedKeyFrame) {
		p.log.Debug("frame not decoded", "from", from, "err", err)
		return
	}
	now := p.now()
	if !d.asked.IsZero() && now.Sub(d.asked) < KeyFrameRequestEvery {
		return
	}
	d.asked = now
	p.mu.Lock()
	out := p.out
	p.mu.Unlock()
	if out != nil {
		if err := out.RequestKeyFrame(from); err != nil {
			p.log.Debug("key frame not requested", "from", from, "err", err)
		}
	}
}

// decoderOf returns from's decoder, made on its first frame (nil when
// closed, at MaxSenders, or when no decoder can be made).
func (p *Pipeline) decoderOf(from string) *decoded {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	if d := p.senders[from]; d != nil {
		return d
	}
	if len(p.senders) >= MaxSenders || len(from) > MaxPeerIDSize {
		return nil
	}
	dec, err := p.cfg.NewDecoder()
	if err != nil {
		p.log.Debug("no decoder", "from", from, "err", err)
		return nil
	}
	d := &decoded{dec: dec}
	p.senders[from] = d
	return d
}

// Forget drops a sender's decoder and picture (it left the call).
func (p *Pipeline) Forget(from string) {
	p.mu.Lock()
	d := p.senders[from]
	delete(p.senders, from)
	p.mu.Unlock()
	if d != nil {
		d.close()
	}
}

func (d *decoded) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec != nil {
		_ = d.dec.Close()
		d.dec, d.pic = nil, nil
	}
}

// Draw draws from's latest picture into dst, fitted with bars of bg,
// when one was decoded after picture number since; it returns the
// latest picture's number and whether it drew. A tile calls it with the
// number it last drew.
func (p *Pipeline) Draw(from string, dst *image.RGBA, bg color.RGBA, since uint64) (uint64, bool) {
	p.mu.Lock()
	d := p.senders[from]
	p.mu.Unlock()
	p.drew(from, layerOfTile(dst.Rect.Dx()))
	if d == nil {
		return 0, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pic == nil || d.seq == since {
		return d.seq, false
	}
	tile.Fit(dst, d.pic, bg)
	return d.seq, true
}

// drew notes that a tile needing layer drew from's video now, and asks
// the SFU for the tiles shown when they changed: every sender drawn
// within ShownFor, each at the largest layer its tiles need; those not
// drawn for longer are hidden and not asked for.
func (p *Pipeline) drew(from string, layer sfu.Layer) {
	now := p.now()
	p.mu.Lock()
	if len(from) > MaxPeerIDSize || p.closed {
		p.mu.Unlock()
		return
	}
	if t, ok := p.drawn[from]; ok || len(p.drawn) < MaxSenders {
		if !ok || layer > t.layer || now.Sub(t.at) >= ShownFor/4 {
			p.drawn[from] = drawnTile{at: now, layer: layer}
		}
	}
	changed := len(p.drawn) != len(p.shown)
	for id, t := range p.drawn {
		if now.Sub(t.at) >= ShownFor {
			delete(p.drawn, id)
			changed = true
		} else if l, ok := p.shown[id]; !ok || l != t.layer {
			changed = true
		}
	}
	var want map[string]sfu.Layer
	if changed {
		want = make(map[string]sfu.Layer, len(p.drawn))
		for id, t := range p.drawn {
			want[id] = t.layer
		}
		p.shown = want
	}
	out := p.out
	p.mu.Unlock()
	if changed && out != nil {
		if err := out.ShowLayers(want); err != nil {
			p.log.Debug("tiles not asked of the SFU", "err", err)
		}
	}
}

// Close stops the camera and frees the decoders.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	c := p.capture
	p.capture = nil
	senders := p.senders
	p.senders = map[string]*decoded{}
	p.mu.Unlock()
	if c != nil {
		c.cancel()
		<-c.done
	}
	for _, d := range senders {
		d.close()
	}
	return nil
}

// Join is one call's Local of the program: audio frames go to sound,
// video frames and key-frame requests to video; both start and close
// together. It is a media.Routed, which tells sound.
func Join(sound media.Local, video *Pipeline) media.Local { return joined{sound, video} }

type joined struct {
	sound media.Local
	video *Pipeline
}

var (
	_ media.Local  = joined{}
	_ media.Routed = joined{}
)

func (j joined) Frame(from string, f media.Frame) {
	if f.Kind == media.Video {
		j.video.Frame(from, f)
		return
	}
	j.sound.Frame(from, f)
}

func (j joined) KeyFrameRequest(from string) { j.video.KeyFrameRequest(from) }

func (j joined) LayerKeyFrameRequest(from string, l uint8) { j.video.LayerKeyFrameRequest(from, l) }

func (j joined) Start(s *media.Session) error {
	if err := j.sound.Start(s); err != nil {
		return err
	}
	return j.video.Start(s)
}

func (j joined) Close() error { return errors.Join(j.video.Close(), j.sound.Close()) }

// ThroughSFU passes on to the sound whether the call runs through an SFU
// (media.Routed): an SFU call's voice is leaner.
func (j joined) ThroughSFU(sfu bool) {
	if r, ok := j.sound.(media.Routed); ok {
		r.ThroughSFU(sfu)
	}
}
