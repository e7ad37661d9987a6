package main

import (
	"context"
	"flag"
	"os"

	actions "github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/api"
)

// pictureCommands set and remove the profile photo and the community icon.
// The command reads the file and makes the picture (act.PreparePicture:
// the centred square, 256 pixels, JPEG) before it reaches the daemon.
var pictureCommands = []command{
	{"photo set", "set your profile photo in every community from a JPEG or PNG file (cropped to a square)", func(fs *flag.FlagSet, o *opts) {
		fs.StringVar(&o.picture, "path", "", "the photo file (required)")
	}, cmdPhotoSet},
	{"photo remove", "remove your profile photo in every community", nil, cmdPhotoRemove},
	{"community icon set", "set a community's icon from a JPEG or PNG file (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.picture, "path", "", "the picture file (required)")
	}, cmdIconSet},
	{"community icon remove", "remove a community's icon (admins)", communityFlag, cmdIconRemove},
}

// pictureMethods are the control API methods behind pictureCommands.
func pictureMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"photo.set": func(ctx context.Context, a args) (any, error) {
			return done(n.SetPhoto(ctx, a.Image))
		},
		"icon.set": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return done(n.SetIcon(ctx, a.Community, a.Image))
		},
	}
}

// readPicture makes the picture of the file at path.
func readPicture(path string) ([]byte, error) {
	if err := required("path", path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return actions.PreparePicture(f)
}

func cmdPhotoSet(ctx context.Context, o *opts) error {
	pic, err := readPicture(o.picture)
	if err != nil {
		return err
	}
	return act(ctx, o, "photo.set", args{Image: pic}, "Your photo is set")
}

func cmdPhotoRemove(ctx context.Context, o *opts) error {
	return act(ctx, o, "photo.set", args{}, "Your photo is removed")
}

func cmdIconSet(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	pic, err := readPicture(o.picture)
	if err != nil {
		return err
	}
	return act(ctx, o, "icon.set", args{Community: cid, Image: pic}, "The community's icon is set")
}

func cmdIconRemove(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	return act(ctx, o, "icon.set", args{Community: cid}, "The community's icon is removed")
}
