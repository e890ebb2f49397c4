package io.sqsbrowser.cleanup;

/** What an ended session left that the cleaner has not deleted yet, as its checkpoint keeps it: a queue or an identity. */
public class Leftover {
    /** A session queue's URL, or null. */
    public String queueUrl;
    /** A Cognito identity id, or null. */
    public String identityId;

    public Leftover() {}

    static Leftover queue(String url) {
        Leftover l = new Leftover();
        l.queueUrl = url;
        return l;
    }

    static Leftover identity(String id) {
        Leftover l = new Leftover();
        l.identityId = id;
        return l;
    }
}
