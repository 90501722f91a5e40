public static class Storage
{
    const string Conn = "DefaultEndpointsProtocol=https;AccountName=acmeshop;AccountKey=O2L7l/BeKerxkHNS8YOuqR9/riNfInd1N8Q2VNTV3XWAAleEyhOmOcxJIHcrnhlXkqRdwX5rWnd5mnz661niz3==;EndpointSuffix=core.windows.net";
    const string ClientSecret = "qzL0Q~tDRZdWX9IHQJmECWqKsDOe5iwa2ARgdKNh";
}
